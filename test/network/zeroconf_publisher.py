"""Publishes one DNS-SD service over mDNS with python-zeroconf, on 127.0.0.1 only, with the
record TTLs given (avahi's are fixed at 75 min and 2 min: too long for a test that waits for a
service killed without a goodbye to go stale).

Usage: zeroconf_publisher.py INSTANCE TYPE PORT TTL [KEY=VALUE...]
Prints "registered" once announced; on SIGTERM unregisters (goodbye) and prints "withdrawn".
A SIGKILL leaves no goodbye behind."""
import signal
import socket
import sys
import threading

from zeroconf import IPVersion, ServiceInfo, Zeroconf

instance, service_type, port, ttl = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
properties = dict(entry.split("=", 1) for entry in sys.argv[5:])
zeroconf = Zeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
info = ServiceInfo(
    f"{service_type}.local.",
    f"{instance}.{service_type}.local.",
    addresses=[socket.inet_aton("127.0.0.1")],
    port=port,
    properties=properties,
    server="zeroconf-peer.local.",
    host_ttl=ttl,
    other_ttl=ttl,
)
zeroconf.register_service(info)
print("registered", flush=True)
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
stop.wait()
zeroconf.unregister_service(info)
zeroconf.close()
print("withdrawn", flush=True)
