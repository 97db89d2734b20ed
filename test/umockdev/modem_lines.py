"""Modem control lines (DTR, RTS) for a simulated tty, which a pty lacks.

umockdev relays a tty through a pty, and a pty refuses TIOCMGET/TIOCMSET (ENOTTY). Attached to
the tty's device node with Testbed.attach_ioctl, ModemLines answers those ioctls as a UART
driver does and does what the Linux tty layer does at open: it raises DTR and RTS (the kernel
does so unless the port's saved speed is 0). It remembers every change, and the level of DTR
whenever bytes arrive, so that a test can tell what a process under test did to the lines.
"""
import struct
import termios
import threading

DTR, RTS = termios.TIOCM_DTR, termios.TIOCM_RTS
REQUESTS = (termios.TIOCMGET, termios.TIOCMSET, termios.TIOCMBIS, termios.TIOCMBIC)
TIOCSBRK, TIOCCBRK = 0x5427, 0x5428  # a break: nothing to simulate, but a UART accepts it

_handler_class = None


def modem_lines(UMockdev):
    """A new ModemLines handler; the class is made once, its GType can be registered only once."""
    global _handler_class
    if _handler_class is None:
        class ModemLines(UMockdev.IoctlBase):
            def setup(self):
                self.lock = threading.Lock()
                self.lines = 0
                self.history = []  # {"by": "open" | "ioctl", "dtr": bool, "rts": bool}
                return self

            def change(self, lines, by):
                with self.lock:
                    self.lines = lines
                    self.history.append({'by': by, 'dtr': bool(lines & DTR), 'rts': bool(lines & RTS)})

            def dtr(self):
                with self.lock:
                    return bool(self.lines & DTR)

            def do_client_connected(self, client):
                self.change(self.lines | DTR | RTS, 'open')

            def do_handle_ioctl(self, client):
                request = client.get_request()
                if request in (TIOCSBRK, TIOCCBRK):
                    client.complete(0, 0)
                    return True
                if request not in REQUESTS:
                    # everything else is the pty's to answer
                    result, error = client.execute()
                    client.complete(result, error)
                    return True
                arg = client.get_arg().resolve(0, 4)
                if request == termios.TIOCMGET:
                    arg.update(0, list(struct.pack('i', self.lines)))
                else:
                    bits = struct.unpack('i', bytes(arg.retrieve()))[0] & (DTR | RTS)
                    if request == termios.TIOCMSET:
                        lines = (self.lines & ~(DTR | RTS)) | bits
                    elif request == termios.TIOCMBIS:
                        lines = self.lines | bits
                    else:
                        lines = self.lines & ~bits
                    self.change(lines, 'ioctl')
                client.complete(0, 0)
                return True

            def report(self):
                with self.lock:
                    return {'dtr': bool(self.lines & DTR), 'rts': bool(self.lines & RTS),
                            'history': list(self.history)}

        _handler_class = ModemLines
    return _handler_class().setup()
