"""A real Modbus TCP server (pymodbus) with a device identity, for the TCP probe's tests.

Usage: modbus_server.py HOST PORT VENDOR PRODUCT REVISION
Listens on HOST:PORT (0 picks a free port), prints "listening PORT" once it accepts
connections, and stops when its standard input closes (the test ends it that way or kills it).
It answers Read Device Identification (function 43/14) with the identity given.
"""
import asyncio
import logging
import sys

from pymodbus.datastore import ModbusServerContext, ModbusSlaveContext
from pymodbus.device import ModbusDeviceIdentification
from pymodbus.server.async_io import ModbusTcpServer


async def main(host, port, vendor, product, revision):
    identity = ModbusDeviceIdentification(
        info_name={"VendorName": vendor, "ProductCode": product, "MajorMinorRevision": revision}
    )
    context = ModbusServerContext(slaves=ModbusSlaveContext(), single=True)
    server = ModbusTcpServer(context, identity=identity, address=(host, int(port)))
    serving = asyncio.create_task(server.serve_forever())
    await server.serving
    print("listening", server.server.sockets[0].getsockname()[1], flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await server.shutdown()
    serving.cancel()


if __name__ == "__main__":
    # pymodbus logs every connection the probe closes as an error: the tests judge by replies.
    logging.disable(logging.ERROR)
    asyncio.run(main(*sys.argv[1:6]))
