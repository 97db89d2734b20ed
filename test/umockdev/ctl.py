#!/usr/bin/python3
"""Drive a umockdev testbed over stdin/stdout, one JSON object per line.

Run it as

    umockdev-wrapper /usr/bin/python3 test/umockdev/ctl.py

(the wrapper preloads libumockdev-preload.so.0, which this process needs too: the testbed's
uevent sender looks devices up through libudev, i.e. through the redirected /sys).

It creates a UMockdev.Testbed, prints

    {"ready": true, "root": "/tmp/umockdev.XXXXXX", "version": 1}

and then answers every command line with exactly one JSON line:

    {"id": <echoed>, "ok": true, ...result}      or
    {"id": <echoed>, "ok": false, "error": "..."}

Commands (see README.md beside this file for the full protocol):

    {"cmd": "ping"}
    {"cmd": "add", "file": "devices/x.umockdev"}          umockdev text from a file
    {"cmd": "add", "text": "P: /devices/...\\n..."}       umockdev text inline
    {"cmd": "add-device", "port": "1-1.4", "vendorId": "1546", "productId": "01a7", ...}
    {"cmd": "remove", "path": "/sys/devices/..."}
    {"cmd": "uevent", "path": "/sys/devices/...", "action": "change"}
    {"cmd": "render", ...same fields as add-device...}   the umockdev text, not added
    {"cmd": "quit"}

"add", "add-device" and "remove" take "quiet": true to change the testbed WITHOUT any uevent
reaching the processes under test (simulates a container where hotplug events never arrive).

Extension point: new commands are functions registered in COMMANDS (e.g. a future "add-tty"
that creates a SUBSYSTEM=tty device and relays its pty master, tb.get_dev_fd("/dev/ttyUSB0")).

`python3 ctl.py --render '<json spec>'` prints the umockdev text for a device spec (parents
included) without creating a testbed; handy for writing fixture files under devices/.
"""

import contextlib
import glob
import json
import os
import re
import shutil
import struct
import sys
import threading
import traceback

PROTOCOL_VERSION = 1

# The xHCI controller every generated bus hangs off (real xHCI hosts carry usb1 and usb2 on one
# PCI function, so several buses under one controller is realistic).
CONTROLLER = '/devices/pci0000:00/0000:00:14.0'
USB_MAJOR = 189

# ---------------------------------------------------------------------------------------------
# USB descriptors and umockdev text, pure functions (no testbed needed)
# ---------------------------------------------------------------------------------------------

PORT_RE = re.compile(r'^([1-9][0-9]{0,2})-([1-9][0-9]?(?:\.[1-9][0-9]?){0,6})$')


class SpecError(ValueError):
    pass


def parse_port(port):
    """'1-1.4' -> (bus 1, [1, 4])."""
    m = PORT_RE.match(str(port))
    if not m:
        raise SpecError(f'port must look like "1-1.4" (bus-port.port...), got {port!r}')
    bus = int(m.group(1))
    if bus > 255:
        raise SpecError(f'bus number {bus} > 255')
    return bus, [int(p) for p in m.group(2).split('.')]


def parse_u16(value, what):
    """A 16-bit id from "1546", "0x1546" or the number 0x1546."""
    if isinstance(value, bool):
        raise SpecError(f'{what}: expected hex string or number, got {value!r}')
    if isinstance(value, int):
        n = value
    elif isinstance(value, str) and re.fullmatch(r'(0[xX])?[0-9a-fA-F]{1,4}', value):
        n = int(value, 16)
    else:
        raise SpecError(f'{what}: expected 4-digit hex string or number, got {value!r}')
    if not 0 <= n <= 0xFFFF:
        raise SpecError(f'{what}: {value!r} out of range')
    return n


def parse_u8(value, what, default=0):
    if value is None:
        return default
    if isinstance(value, str):
        value = int(value, 16)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 0xFF:
        raise SpecError(f'{what}: expected a byte, got {value!r}')
    return value


def device_descriptor(d):
    return struct.pack(
        '<BBHBBBBHHHBBBB',
        18, 1, d['bcdUSB'], d['deviceClass'], d['deviceSubClass'], d['deviceProtocol'],
        d['maxPacketSize0'], d['vendorId'], d['productId'], d['bcdDevice'],
        1 if d.get('manufacturer') is not None else 0,
        2 if d.get('product') is not None else 0,
        3 if d.get('serial') is not None else 0,
        1)


def config_descriptor(d):
    body = b''
    next_in, next_out = 1, 1
    for itf in d['interfaces']:
        eps = b''
        for k in range(itf['endpoints']):
            # alternate IN and OUT bulk endpoints: 0x81, 0x01, 0x82, 0x02, ...
            if k % 2 == 0:
                addr, next_in = 0x80 | next_in, next_in + 1
            else:
                addr, next_out = next_out, next_out + 1
            eps += struct.pack('<BBBBHB', 7, 5, addr, 0x02, 512 if d['speed'] >= 480 else 64, 0)
        body += struct.pack('<BBBBBBBBB', 9, 4, itf['number'], 0, itf['endpoints'],
                            itf['class'], itf['subclass'], itf['protocol'], 0) + eps
    n_interfaces = len({itf['number'] for itf in d['interfaces']})
    return struct.pack('<BBHBBBBB', 9, 2, 9 + len(body), n_interfaces, 1, 0, 0x80,
                       d['maxPowerMa'] // 2) + body


def normalise_spec(spec, bus=None, devnum=None):
    """Validate an add-device spec and fill defaults. Raises SpecError."""
    known = {'cmd', 'id', 'port', 'bus', 'devnum', 'vendorId', 'productId', 'bcdDevice', 'bcdUSB',
             'manufacturer', 'product', 'serial', 'deviceClass', 'deviceSubClass',
             'deviceProtocol', 'speed', 'interfaces', 'properties', 'maxPowerMa', 'quiet',
             'maxchild', 'driver'}
    unknown = set(spec) - known
    if unknown:
        raise SpecError(f'unknown field(s) {sorted(unknown)}')
    if 'port' not in spec:
        raise SpecError('port is required (e.g. "1-1.4")')
    port_bus, ports = parse_port(spec['port'])
    if spec.get('bus') is not None and int(spec['bus']) != port_bus:
        raise SpecError(f'bus {spec["bus"]} does not match port {spec["port"]}')
    d = {
        'sysname': spec['port'],
        'bus': port_bus,
        'ports': ports,
        'devnum': spec.get('devnum', devnum),
        'vendorId': parse_u16(spec.get('vendorId'), 'vendorId'),
        'productId': parse_u16(spec.get('productId'), 'productId'),
        'bcdDevice': parse_u16(spec.get('bcdDevice', '0100'), 'bcdDevice'),
        'bcdUSB': parse_u16(spec.get('bcdUSB', '0200'), 'bcdUSB'),
        'deviceClass': parse_u8(spec.get('deviceClass'), 'deviceClass'),
        'deviceSubClass': parse_u8(spec.get('deviceSubClass'), 'deviceSubClass'),
        'deviceProtocol': parse_u8(spec.get('deviceProtocol'), 'deviceProtocol'),
        'maxPacketSize0': 64,
        'speed': int(spec.get('speed', 480)),
        'maxPowerMa': int(spec.get('maxPowerMa', 100)),
        'maxchild': int(spec.get('maxchild', 0)),
        'driver': spec.get('driver', 'usb'),
        'properties': dict(spec.get('properties') or {}),
    }
    for key in ('manufacturer', 'product', 'serial'):
        v = spec.get(key)
        if v is not None and not isinstance(v, str):
            raise SpecError(f'{key} must be a string')
        if v is not None and ('\n' in v or '\0' in v):
            raise SpecError(f'{key} must not contain newlines or NUL')
        d[key] = v
    if d['devnum'] is not None and not 1 <= int(d['devnum']) <= 127:
        raise SpecError(f'devnum must be 1..127, got {d["devnum"]}')
    interfaces = spec.get('interfaces')
    if interfaces is None:
        interfaces = [{'class': 0xFF}]
    if not isinstance(interfaces, list):
        raise SpecError('interfaces must be a list')
    d['interfaces'] = []
    for i, itf in enumerate(interfaces):
        if not isinstance(itf, dict) or 'class' not in itf:
            raise SpecError(f'interfaces[{i}] needs at least "class"')
        d['interfaces'].append({
            'number': parse_u8(itf.get('number'), f'interfaces[{i}].number', i),
            'class': parse_u8(itf['class'], f'interfaces[{i}].class'),
            'subclass': parse_u8(itf.get('subclass'), f'interfaces[{i}].subclass'),
            'protocol': parse_u8(itf.get('protocol'), f'interfaces[{i}].protocol'),
            'driver': itf.get('driver'),
            'endpoints': int(itf.get('endpoints', 0)),
            'name': itf.get('name'),
        })
    return d


def escape_attr(value):
    """umockdev A: values: backslash escapes for \\ and newline."""
    return value.replace('\\', '\\\\').replace('\n', '\\n')


def driver_link(devpath, driver):
    # devpath is '/devices/...'; the link lives in /sys/<devpath>/driver and points at
    # /sys/bus/usb/drivers/<driver>, relative like the kernel's.
    depth = len(devpath.strip('/').split('/'))
    return '../' * depth + 'bus/usb/drivers/' + driver


def usb_device_text(d, parent_devpath):
    """umockdev text for one USB device and its interfaces (parents first)."""
    bus, devnum = d['bus'], d['devnum']
    devpath = f'{parent_devpath}/{d["sysname"]}'
    raw = device_descriptor(d) + config_descriptor(d)
    node = f'bus/usb/{bus:03d}/{devnum:03d}'
    minor = (bus - 1) * 128 + (devnum - 1)
    type_ = f'{d["deviceClass"]}/{d["deviceSubClass"]}/{d["deviceProtocol"]}'
    product_var = f'{d["vendorId"]:x}/{d["productId"]:x}/{d["bcdDevice"]:x}'
    n_interfaces = len({itf['number'] for itf in d['interfaces']})
    usb_version = f'{d["bcdUSB"] >> 8:2d}.{d["bcdUSB"] & 0xFF:02x}'
    lines = [
        f'P: {devpath}',
        f'N: {node}={raw.hex().upper()}',
        f'E: DEVNAME=/dev/{node}',
        'E: DEVTYPE=usb_device',
        f'E: DRIVER={d["driver"]}',
        f'E: PRODUCT={product_var}',
        f'E: TYPE={type_}',
        f'E: BUSNUM={bus:03d}',
        f'E: DEVNUM={devnum:03d}',
        f'E: MAJOR={USB_MAJOR}',
        f'E: MINOR={minor}',
        'E: SUBSYSTEM=usb',
    ]
    for k, v in sorted(d['properties'].items()):
        lines.append(f'E: {k}={v}')
    attrs = {
        'authorized': '1',
        'avoid_reset_quirk': '0',
        'bConfigurationValue': '1',
        'bDeviceClass': f'{d["deviceClass"]:02x}',
        'bDeviceProtocol': f'{d["deviceProtocol"]:02x}',
        'bDeviceSubClass': f'{d["deviceSubClass"]:02x}',
        'bMaxPacketSize0': str(d['maxPacketSize0']),
        'bMaxPower': f'{d["maxPowerMa"]}mA',
        'bNumConfigurations': '1',
        'bNumInterfaces': f'{n_interfaces:2d}',
        'bcdDevice': f'{d["bcdDevice"]:04x}',
        'bmAttributes': '80',
        'busnum': str(bus),
        'configuration': '',
        'dev': f'{USB_MAJOR}:{minor}',
        'devnum': str(devnum),
        'devpath': '.'.join(str(p) for p in d['ports']) if d['ports'] else '0',
        'idProduct': f'{d["productId"]:04x}',
        'idVendor': f'{d["vendorId"]:04x}',
        'maxchild': str(d['maxchild']),
        'quirks': '0x0',
        'removable': 'removable' if d['ports'] else 'unknown',
        'speed': str(d['speed']),
        'version': usb_version,
    }
    for key in ('manufacturer', 'product', 'serial'):
        if d[key] is not None:
            attrs[key] = d[key]
    # sysfs attributes end with a newline, like the kernel's; 'dev' must not (umockdev uses its
    # value for the /sys/dev/char link name). 'dev' goes last: umockdev writes attributes in the
    # order given and the device can be seen once its node exists, while the kernel has every
    # attribute first (seen earlier, a device could be read without its serial and registered
    # under its port).
    for k in sorted(attrs, key=lambda name: (name == 'dev', name)):
        lines.append(f'A: {k}={escape_attr(attrs[k])}' + ('' if k == 'dev' else '\\n'))
    lines.append(f'H: descriptors={raw.hex().upper()}')
    lines.append(f'L: driver={driver_link(devpath, d["driver"])}')
    paragraphs = ['\n'.join(lines) + '\n']
    drivers = {d['driver']}

    # interfaces: <sysname>:1.<n>, or <bus>-0:1.<n> for a root hub
    itf_prefix = d['sysname'] if d['ports'] else f'{bus}-0'
    for itf in d['interfaces']:
        ipath = f'{devpath}/{itf_prefix}:1.{itf["number"]}'
        itype = f'{itf["class"]}/{itf["subclass"]}/{itf["protocol"]}'
        modalias = ('usb:v%04Xp%04Xd%04Xdc%02Xdsc%02Xdp%02Xic%02Xisc%02Xip%02Xin%02X' % (
            d['vendorId'], d['productId'], d['bcdDevice'], d['deviceClass'],
            d['deviceSubClass'], d['deviceProtocol'], itf['class'], itf['subclass'],
            itf['protocol'], itf['number']))
        il = [
            f'P: {ipath}',
            'E: DEVTYPE=usb_interface',
        ]
        if itf['driver']:
            il.append(f'E: DRIVER={itf["driver"]}')
        il += [
            f'E: PRODUCT={product_var}',
            f'E: TYPE={type_}',
            f'E: INTERFACE={itype}',
            f'E: MODALIAS={modalias}',
            'E: SUBSYSTEM=usb',
            'A: authorized=1\\n',
            'A: bAlternateSetting= 0\\n',
            f'A: bInterfaceClass={itf["class"]:02x}\\n',
            f'A: bInterfaceNumber={itf["number"]:02x}\\n',
            f'A: bInterfaceProtocol={itf["protocol"]:02x}\\n',
            f'A: bInterfaceSubClass={itf["subclass"]:02x}\\n',
            f'A: bNumEndpoints={itf["endpoints"]:02x}\\n',
            f'A: modalias={modalias}\\n',
            'A: supports_autosuspend=1\\n',
        ]
        if itf['name'] is not None:
            il.append(f'A: interface={escape_attr(itf["name"])}\\n')
        if itf['driver']:
            il.append(f'L: driver={driver_link(ipath, itf["driver"])}')
            drivers.add(itf['driver'])
        paragraphs.append('\n'.join(il) + '\n')
    return devpath, '\n'.join(paragraphs), drivers


def controller_text():
    return '\n'.join([
        f'P: {CONTROLLER}',
        'E: DRIVER=xhci_hcd',
        'E: PCI_CLASS=C0330',
        'E: PCI_ID=8086:A36D',
        'E: PCI_SLOT_NAME=0000:00:14.0',
        'E: SUBSYSTEM=pci',
        'A: class=0x0c0330\\n',
        'A: device=0xa36d\\n',
        'A: vendor=0x8086\\n',
        'L: driver=../../../bus/pci/drivers/xhci_hcd',
    ]) + '\n'


def root_hub_spec(bus):
    return normalise_spec({
        'port': f'{bus}-1', 'vendorId': '1d6b', 'productId': '0002', 'bcdDevice': '0601',
        'manufacturer': 'Linux 6.1.0 xhci-hcd', 'product': 'xHCI Host Controller',
        'serial': '0000:00:14.0', 'deviceClass': 9, 'deviceProtocol': 1, 'maxchild': 16,
        'maxPowerMa': 0, 'interfaces': [{'class': 9, 'driver': 'hub', 'endpoints': 1}],
    }, devnum=1) | {'sysname': f'usb{bus}', 'ports': []}


def hub_spec(bus, ports, devnum):
    return normalise_spec({
        'port': f'{bus}-' + '.'.join(str(p) for p in ports), 'vendorId': '05e3',
        'productId': '0608', 'bcdDevice': '6060', 'product': 'USB2.0 Hub', 'deviceClass': 9,
        'deviceProtocol': 1, 'maxchild': 4,
        'interfaces': [{'class': 9, 'driver': 'hub', 'endpoints': 1}],
    }, devnum=devnum)


def split_paragraphs(text):
    """umockdev text -> [(devpath, paragraph)] in file order."""
    out = []
    for para in re.split(r'\n\s*\n', text.strip('\n')):
        if not para.strip():
            continue
        first = para.split('\n', 1)[0]
        if not first.startswith('P: '):
            raise SpecError(f'device description must start with "P: /devices/...", got {first!r}')
        out.append((first[3:].strip(), para.strip('\n') + '\n'))
    return out


# ---------------------------------------------------------------------------------------------
# The testbed
# ---------------------------------------------------------------------------------------------

class Controller:
    def __init__(self, tb):
        self.tb = tb
        self.root = tb.get_root_dir()
        # /dev/bus/usb exists from the start, so that a process under test can watch it (inotify)
        # before any device is plugged; without it the preload falls through to the real /dev.
        os.makedirs(os.path.join(self.root, 'dev', 'bus', 'usb'), exist_ok=True)
        # likewise /sys/class/tty, or a serial source would find no tty class and stay idle
        os.makedirs(os.path.join(self.root, 'sys', 'class', 'tty'), exist_ok=True)
        self.ttys = {}  # name -> SimulatedTty

    # -- helpers ------------------------------------------------------------------------------

    def real(self, syspath):
        """Path inside the testbed for a /sys/... or /dev/... path."""
        return os.path.join(self.root, syspath.lstrip('/'))

    def exists(self, devpath):
        """devpath: /devices/... or /sys/devices/..."""
        sp = devpath if devpath.startswith('/sys/') else '/sys' + devpath
        return os.path.exists(os.path.join(self.real(sp), 'uevent'))

    def used_devnums(self, bus):
        d = os.path.join(self.root, 'dev', 'bus', 'usb', f'{bus:03d}')
        try:
            return {int(n) for n in os.listdir(d) if n.isdigit()}
        except FileNotFoundError:
            return set()

    @contextlib.contextmanager
    def quiet(self, enabled):
        """Hide every listener's uevent socket ($root/eventN) while the block runs."""
        if not enabled:
            yield
            return
        hidden = []
        for sock in glob.glob(os.path.join(self.root, 'event[0-9]*')):
            target = os.path.join(self.root, '.quiet-' + os.path.basename(sock))
            os.rename(sock, target)
            hidden.append((target, sock))
        try:
            yield
        finally:
            for target, sock in hidden:
                os.rename(target, sock)

    def make_driver_dirs(self, drivers):
        for drv in drivers:
            os.makedirs(os.path.join(self.root, 'sys', 'bus', 'usb', 'drivers', drv), exist_ok=True)

    def add_text(self, text):
        """Add umockdev text, parents first; skip devices that already exist."""
        paras = split_paragraphs(text)
        paras.sort(key=lambda p: p[0].count('/'))  # parents before children
        added, skipped = [], []
        for devpath, para in paras:
            if self.exists(devpath):
                skipped.append('/sys' + devpath)
                continue
            m = re.search(r'^N: ([^=\n]+)', para, re.M)
            if m and os.path.exists(os.path.join(self.root, 'dev', m.group(1))):
                raise SpecError(f'/dev/{m.group(1)} already exists (used by another device)')
            for link in re.findall(r'^L: driver=\S*?bus/usb/drivers/(\S+)$', para, re.M):
                self.make_driver_dirs([link])
            # umockdev >= 0.17 sends an "add" uevent for each device it adds from text
            self.tb.add_from_string(para)
            added.append('/sys' + devpath)
        return added, skipped

    def build_device(self, spec):
        """(text of the missing parents + device, device devpath, normalised spec)."""
        d = normalise_spec(spec)
        bus, ports = d['bus'], d['ports']
        used = self.used_devnums(bus)
        if d['devnum'] is None:
            d['devnum'] = next(n for n in range(2, 128) if n not in used)
            used.add(d['devnum'])
        elif d['devnum'] in used:
            raise SpecError(f'/dev/bus/usb/{bus:03d}/{d["devnum"]:03d} is already in use')
        else:
            used.add(d['devnum'])
        texts = []
        if not self.exists(CONTROLLER):
            texts.append(controller_text())
        parent = f'{CONTROLLER}/usb{bus}'
        if not self.exists(parent):
            if 1 in used and not self.exists(parent):
                raise SpecError(f'devnum 1 on bus {bus} is reserved for the root hub')
            _, t, _ = usb_device_text(root_hub_spec(bus), CONTROLLER)
            texts.append(t)
            used.add(1)
        for depth in range(1, len(ports)):
            hub_name = f'{bus}-' + '.'.join(str(p) for p in ports[:depth])
            hub_path = f'{parent}/{hub_name}'
            if not self.exists(hub_path):
                hub_devnum = next(n for n in range(127, 1, -1) if n not in used)
                used.add(hub_devnum)
                _, t, _ = usb_device_text(hub_spec(bus, ports[:depth], hub_devnum), parent)
                texts.append(t)
            parent = hub_path
        devpath, t, _ = usb_device_text(d, parent)
        if self.exists(devpath):
            raise SpecError(f'a device already exists at /sys{devpath}')
        texts.append(t)
        return '\n'.join(texts), devpath, d

    # -- commands -----------------------------------------------------------------------------

    def cmd_ping(self, req):
        return {'root': self.root}

    def cmd_add(self, req):
        if 'file' in req:
            with open(req['file'], encoding='utf-8') as f:
                text = f.read()
        elif 'text' in req:
            text = req['text']
        else:
            raise SpecError('add needs "file" or "text"')
        with self.quiet(req.get('quiet', False)):
            added, skipped = self.add_text(text)
        return {'added': added, 'skipped': skipped}

    def cmd_add_device(self, req):
        text, devpath, d = self.build_device(req)
        with self.quiet(req.get('quiet', False)):
            added, _ = self.add_text(text)
        syspath = '/sys' + devpath
        return {
            'path': syspath,
            'sysname': d['sysname'],
            'busnum': d['bus'],
            'devnum': d['devnum'],
            'devnode': f'/dev/bus/usb/{d["bus"]:03d}/{d["devnum"]:03d}',
            'interfaces': [p for p in added if p.startswith(syspath + '/')],
            'added': added,
        }

    def cmd_render(self, req):
        text, devpath, d = self.build_device(req)
        return {'text': text, 'path': '/sys' + devpath}

    def subdevices(self, syspath):
        """The device and every device below it, deepest first."""
        top = self.real(syspath)
        found = []
        for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
            if 'uevent' in filenames:
                found.append(dirpath)
        found.sort(key=lambda p: p.count('/'), reverse=True)
        return ['/' + os.path.relpath(p, self.root) for p in found]

    def cmd_remove(self, req):
        path = req.get('path')
        if not isinstance(path, str) or not path.startswith('/sys/devices/'):
            raise SpecError('remove needs "path": "/sys/devices/..."')
        if not self.exists(path):
            raise SpecError(f'no device at {path}')
        victims = self.subdevices(path)
        self.forget_ttys_under(path)
        with self.quiet(req.get('quiet', False)):
            # the kernel announces children first (interfaces, then the device); the uevent
            # sender reads sysfs, so every event goes out before anything is deleted
            for p in victims:
                self.tb.uevent(p, 'remove')
        # umockdev's remove_device() sends no uevent and only cleans up the device it is given
        # (its /dev node, /sys/bus/usb/devices link); remove children one by one so that no
        # dangling links or nodes stay behind
        for p in victims:
            self.tb.remove_device(p)
        return {'removed': victims}

    def cmd_uevent(self, req):
        path, action = req.get('path'), req.get('action')
        if not isinstance(path, str) or not self.exists(path):
            raise SpecError(f'no device at {path!r}')
        if action not in ('add', 'remove', 'change', 'bind', 'unbind', 'online', 'offline', 'move'):
            raise SpecError(f'bad action {action!r}')
        self.tb.uevent(path, action)
        return {}


    # -- ttys ---------------------------------------------------------------------------------

    def cmd_add_tty(self, req):
        name = req.get('name')
        if not isinstance(name, str) or not re.fullmatch(r'tty(USB|ACM)\d{1,3}', name):
            raise SpecError('add-tty needs "name": "ttyUSB<n>" or "ttyACM<n>"')
        if name in self.ttys or os.path.lexists(os.path.join(self.root, 'dev', name)):
            raise SpecError(f'/dev/{name} already exists')
        usb = req.get('usb')
        if not isinstance(usb, str) or not self.exists(usb):
            raise SpecError('add-tty needs "usb": the /sys/devices/... path of an added USB device')
        itf = f'{usb}/{os.path.basename(usb)}:1.{int(req.get("interface", 0))}'
        if not self.exists(itf):
            raise SpecError(f'no interface {itf}')
        acm = name.startswith('ttyACM')
        driver = req.get('driver', 'cdc_acm' if acm else 'ftdi_sio')
        major, minor = (166 if acm else 188), int(name[6:])
        itf_dev = itf[len('/sys'):]
        texts = []
        if acm:
            tty_dev = f'{itf_dev}/tty/{name}'
            device_link = '../..'
        else:
            # usb-serial drivers put a port device between the interface and the tty
            port_dev = f'{itf_dev}/{name}'
            self.make_serial_driver_dir(driver)
            depth = len(port_dev.strip('/').split('/'))
            texts.append('\n'.join([f'P: {port_dev}', 'E: SUBSYSTEM=usb-serial', f'E: DRIVER={driver}',
                                    f'L: driver={"../" * depth}bus/usb-serial/drivers/{driver}']) + '\n')
            tty_dev = f'{port_dev}/tty/{name}'
            device_link = f'../../../{name}'
        texts.append('\n'.join([f'P: {tty_dev}', f'N: {name}', f'E: DEVNAME=/dev/{name}', 'E: SUBSYSTEM=tty',
                                f'E: MAJOR={major}', f'E: MINOR={minor}', f'A: dev={major}:{minor}',
                                f'L: device={device_link}']) + '\n')
        with self.quiet(req.get('quiet', False)):
            for text in texts:
                self.tb.add_from_string(text)
        links = []
        for kind in ('byId', 'byPath'):
            if req.get(kind):
                folder = os.path.join(self.root, 'dev', 'serial', 'by-id' if kind == 'byId' else 'by-path')
                os.makedirs(folder, exist_ok=True)
                link = os.path.join(folder, req[kind])
                os.symlink(f'../../{name}', link)
                links.append(link)
        pty = os.readlink(os.path.join(self.root, 'dev', name))
        lines = None
        if req.get('modemLines'):
            from gi.repository import UMockdev
            from modem_lines import modem_lines
            lines = modem_lines(UMockdev)
            self.tb.attach_ioctl(f'/dev/{name}', lines)
        tty = SimulatedTty(name, '/sys' + tty_dev, self.tb.get_dev_fd(f'/dev/{name}'), pty, links,
                           req.get('responder') or {}, lines)
        self.ttys[name] = tty
        tty.start()
        return {'path': '/sys' + tty_dev, 'node': f'/dev/{name}', 'pty': pty}

    def make_serial_driver_dir(self, driver):
        os.makedirs(os.path.join(self.root, 'sys', 'bus', 'usb-serial', 'drivers', driver), exist_ok=True)

    def tty(self, req):
        tty = self.ttys.get(req.get('name'))
        if tty is None:
            raise SpecError(f'no simulated tty {req.get("name")!r}')
        return tty

    def cmd_tty_received(self, req):
        """The bytes the process under test wrote to the tty, as hex."""
        return {'hex': self.tty(req).received_bytes().hex()}

    def cmd_tty_write(self, req):
        self.tty(req).write(bytes.fromhex(req['hex']) if 'hex' in req else req.get('text', '').encode('latin-1'))
        return {}

    def cmd_tty_lines(self, req):
        """The modem lines of a tty added with "modemLines": true: now, every change, DTR at each
        byte received, and whether HUPCL is set in the port's termios."""
        tty = self.tty(req)
        if tty.lines is None:
            raise SpecError(f'{tty.name} was added without "modemLines": true')
        import termios
        hupcl = bool(termios.tcgetattr(tty.slave)[2] & termios.HUPCL)
        with tty.lock:
            dtr_at_bytes = list(tty.dtr_at_bytes)
        return {**tty.lines.report(), 'dtrAtBytes': dtr_at_bytes, 'hupcl': hupcl}

    def cmd_tty_chmod(self, req):
        """chmod the pty behind the tty (simulates udev fixing permissions late)."""
        os.chmod(self.tty(req).pty, int(req['mode'], 8))
        return {}

    def forget_ttys_under(self, syspath):
        for name, tty in list(self.ttys.items()):
            if tty.syspath == syspath or tty.syspath.startswith(syspath + '/'):
                tty.stop()
                del self.ttys[name]


class SimulatedTty:
    """The device end of one tty: the pty master, driven by a responder spec on a thread.

    responder fields (all optional; none = a silent device):
      stream:  {"text"|"hex", "intervalMs"}   written again and again (a GPS printing NMEA)
      replies: [{"match": regex, "text"|"hex", "delayMs"}]   requests in what was received
               (Latin-1), answered in the order they came, each once (a modem)
      flood:   {"bytes", "intervalMs"}        random bytes forever (a device sending garbage)
    """

    def __init__(self, name, syspath, master, pty, links, responder, lines=None):
        self.name, self.syspath, self.master, self.pty, self.links = name, syspath, master, pty, links
        self.responder = responder
        self.lines = lines  # a ModemLines handler, or None
        self.dtr_at_bytes = []  # DTR's level each time bytes arrived (with modem lines)
        self.received = bytearray()
        self.pending = bytearray()
        self.lock = threading.Lock()
        self.running = True
        os.set_blocking(master, False)
        # Hold the slave open in raw mode: a pty nobody has open returns EIO on the master, and
        # a fresh pty echoes and edits lines until someone sets it raw.
        self.slave = os.open(pty, os.O_RDWR | os.O_NOCTTY)
        import termios
        import tty as ttymod
        ttymod.setraw(self.slave, termios.TCSANOW)
        self.thread = threading.Thread(target=self.run, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.running = False
        self.thread.join(timeout=2)
        for fd in (self.slave,):
            with contextlib.suppress(OSError):
                os.close(fd)
        for link in self.links:
            with contextlib.suppress(OSError):
                os.unlink(link)

    def received_bytes(self):
        with self.lock:
            return bytes(self.received)

    def write(self, data):
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self.master, data)

    def run(self):
        import random
        import select
        import time
        stream = self.responder.get('stream')
        flood = self.responder.get('flood')
        replies = self.responder.get('replies') or []
        next_stream = time.monotonic()
        next_flood = time.monotonic()
        due = []  # (time, bytes)
        while self.running:
            now = time.monotonic()
            if stream and now >= next_stream:
                self.write(bytes.fromhex(stream['hex']) if 'hex' in stream else stream['text'].encode('latin-1'))
                next_stream = now + stream.get('intervalMs', 200) / 1000
            if flood and now >= next_flood:
                self.write(random.randbytes(flood.get('bytes', 256)))
                next_flood = now + flood.get('intervalMs', 20) / 1000
            for item in [d for d in due if d[0] <= now]:
                due.remove(item)
                self.write(item[1])
            readable, _, _ = select.select([self.master], [], [], 0.01)
            if not readable:
                continue
            try:
                data = os.read(self.master, 4096)
            except (BlockingIOError, OSError):
                time.sleep(0.01)
                continue
            with self.lock:
                self.received += data
                if self.lines is not None:
                    self.dtr_at_bytes.append(self.lines.dtr())
            self.pending += data
            self.answer(replies, due)

    def answer(self, replies, due):
        """Answer every request in what was received, in the order they came."""
        import time
        while True:
            text = self.pending.decode('latin-1')
            found = [(m.start(), m.end(), rule) for rule in replies for m in [re.search(rule['match'], text)] if m]
            if not found:
                return
            _, end, rule = min(found, key=lambda item: item[0])
            answer = bytes.fromhex(rule['hex']) if 'hex' in rule else rule['text'].encode('latin-1')
            due.append((time.monotonic() + rule.get('delayMs', 0) / 1000, answer))
            self.pending = self.pending[end:]


COMMANDS = {
    'ping': Controller.cmd_ping,
    'add': Controller.cmd_add,
    'add-device': Controller.cmd_add_device,
    'render': Controller.cmd_render,
    'remove': Controller.cmd_remove,
    'uevent': Controller.cmd_uevent,
    'add-tty': Controller.cmd_add_tty,
    'tty-received': Controller.cmd_tty_received,
    'tty-write': Controller.cmd_tty_write,
    'tty-chmod': Controller.cmd_tty_chmod,
    'tty-lines': Controller.cmd_tty_lines,
}


def send(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def main():
    if len(sys.argv) == 3 and sys.argv[1] == '--render':
        # offline rendering: a throwaway controller over an in-memory plan
        spec = json.loads(sys.argv[2])
        d = normalise_spec(spec, devnum=spec.get('devnum', 2))
        bus, ports = d['bus'], d['ports']
        texts = [controller_text(), usb_device_text(root_hub_spec(bus), CONTROLLER)[1]]
        parent = f'{CONTROLLER}/usb{bus}'
        for depth in range(1, len(ports)):
            texts.append(usb_device_text(hub_spec(bus, ports[:depth], 128 - depth), parent)[1])
            parent += f'/{bus}-' + '.'.join(str(p) for p in ports[:depth])
        texts.append(usb_device_text(d, parent)[1])
        sys.stdout.write('\n'.join(texts))
        return 0

    import gi
    gi.require_version('UMockdev', '1.0')
    from gi.repository import GLib, UMockdev

    tb = UMockdev.Testbed.new()
    if not UMockdev.in_mock_environment():
        send({'ready': False, 'error': 'not running under umockdev-wrapper (LD_PRELOAD of '
                                       'libumockdev-preload.so.0 missing)'})
        return 2
    ctl = Controller(tb)
    loop = GLib.MainLoop()

    def handle(line):
        req = None
        try:
            req = json.loads(line)
            if not isinstance(req, dict):
                raise SpecError('a command is a JSON object')
            cmd = req.get('cmd')
            if cmd == 'quit':
                send({'id': req.get('id'), 'ok': True})
                loop.quit()
                return False
            fn = COMMANDS.get(cmd)
            if fn is None:
                raise SpecError(f'unknown command {cmd!r}; known: {sorted(COMMANDS) + ["quit"]}')
            result = fn(ctl, req)
            send({'id': req.get('id'), 'ok': True, **result})
        except (SpecError, OSError, GLib.Error, json.JSONDecodeError, KeyError, TypeError) as e:
            send({'id': req.get('id') if isinstance(req, dict) else None, 'ok': False,
                  'error': f'{type(e).__name__}: {e}'})
        except Exception as e:  # keep serving; report with a traceback on stderr
            traceback.print_exc()
            send({'id': req.get('id') if isinstance(req, dict) else None, 'ok': False,
                  'error': f'{type(e).__name__}: {e}'})
        return False

    def reader():
        # stdin is read on a thread; every command runs on the main loop (the testbed is not
        # thread-safe), which also keeps the default main context iterating
        for line in sys.stdin:
            if line.strip():
                GLib.idle_add(handle, line)
        GLib.idle_add(loop.quit)  # EOF: the driver went away

    threading.Thread(target=reader, daemon=True).start()
    send({'ready': True, 'root': ctl.root, 'version': PROTOCOL_VERSION})
    try:
        loop.run()
    finally:
        root = ctl.root
        del ctl
        del tb
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
