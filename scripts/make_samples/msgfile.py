"""Minimal writer for Outlook .msg files: an MS-CFB (compound file, v3) container holding MS-OXMSG streams.

No maintained PyPI package writes MSG (extract-msg, olefile and python-oxmsg only read), so this is a small,
deterministic implementation of exactly what a plain received email needs:

* CFB v3: 512-byte sectors, 64-byte mini sectors for streams under 4096 bytes, FAT/MiniFAT chains,
  directory siblings as a valid red-black tree (balanced BST, leaves on an incomplete last level red),
  all timestamps zero, no DIFAT sectors (asserts the file stays below ~7 MB).
* MS-OXMSG: `__properties_version1.0` (fixed-size values inline, variable-size ones as
  `__substg1.0_XXXXYYYY` streams), `__recip_version1.0_#N`, `__attach_version1.0_#N` (ATTACH_BY_VALUE),
  and an empty `__nameid_version1.0` storage. Strings are Unicode (PT_UNICODE, STORE_UNICODE_OK).
"""

from __future__ import annotations

import datetime as dt
import struct
from dataclasses import dataclass, field

# --------------------------------------------------------------------------- CFB
FREESECT, ENDOFCHAIN, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
SECTOR, MINI, CUTOFF = 512, 64, 4096
STORAGE, STREAM, ROOT = 1, 2, 5
RED, BLACK = 0, 1
# CLSID of an Outlook message object (IMessage), as Outlook stamps on the root storage.
MSG_CLSID = bytes.fromhex("0b0d020000000000c000000000000046")


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: dict = field(default_factory=dict)
    clsid: bytes = b"\0" * 16
    # filled in by the writer
    sid: int = 0
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    color: int = BLACK
    start: int = ENDOFCHAIN
    size: int = 0


def _key(e: _Entry):
    # CFB ordering: shorter names first, then code-point order of the upper-cased names.
    return (len(e.name), e.name.upper())


class CompoundFile:
    def __init__(self, root_clsid: bytes = b"\0" * 16):
        self.root = _Entry("Root Entry", ROOT, clsid=root_clsid)

    def _storage(self, parts: list) -> _Entry:
        node = self.root
        for p in parts:
            node = node.children.setdefault(p, _Entry(p, STORAGE))
            if node.kind != STORAGE:
                raise ValueError(f"{p} is a stream")
        return node

    def add_storage(self, path: str) -> None:
        self._storage(path.split("/"))

    def add_stream(self, path: str, data: bytes) -> None:
        *parents, name = path.split("/")
        if len(name) > 31:
            raise ValueError(f"CFB names are at most 31 characters: {name}")
        self._storage(parents).children[name] = _Entry(name, STREAM, data=bytes(data))

    # ------------------------------------------------------------------ layout
    def _number(self) -> list:
        order, queue = [self.root], [self.root]
        while queue:
            node = queue.pop(0)
            for ch in sorted(node.children.values(), key=_key):
                ch.sid = len(order)
                order.append(ch)
                queue.append(ch)
        for node in order:
            if node.children:
                node.child = self._tree(sorted(node.children.values(), key=_key))
        return order

    @staticmethod
    def _tree(items: list) -> int:
        """Balanced BST over sorted siblings; colour so every root-to-leaf path has equal black count."""
        depth_of = {}

        def build(lo, hi, depth):
            if lo > hi:
                return NOSTREAM
            mid = (lo + hi) // 2
            node = items[mid]
            depth_of[id(node)] = depth
            node.left = build(lo, mid - 1, depth + 1)
            node.right = build(mid + 1, hi, depth + 1)
            return node.sid

        root = build(0, len(items) - 1, 0)
        max_depth = max(depth_of.values())
        perfect = len(items) == 2 ** (max_depth + 1) - 1
        for node in items:
            node.color = RED if (depth_of[id(node)] == max_depth and not perfect and max_depth > 0) else BLACK
        return root

    def tobytes(self) -> bytes:
        entries = self._number()
        streams = [e for e in entries if e.kind == STREAM]
        small = [e for e in streams if 0 < len(e.data) < CUTOFF]
        big = [e for e in streams if len(e.data) >= CUTOFF]

        mini_data = bytearray()
        minifat = []
        for e in small:
            e.start, e.size = len(mini_data) // MINI, len(e.data)
            n = -(-len(e.data) // MINI)
            minifat += [e.start + i + 1 for i in range(n - 1)] + [ENDOFCHAIN]
            mini_data += e.data + b"\0" * (n * MINI - len(e.data))
        for e in streams:
            if not e.data:
                e.start, e.size = ENDOFCHAIN, 0

        n_dir = -(-len(entries) // (SECTOR // 128))
        n_minifat = -(-len(minifat) * 4 // SECTOR)
        n_mini_container = -(-len(mini_data) // SECTOR)
        big_sizes = [-(-len(e.data) // SECTOR) for e in big]
        body = n_dir + n_minifat + n_mini_container + sum(big_sizes)
        n_fat = 1
        while n_fat * (SECTOR // 4) < body + n_fat:
            n_fat += 1
        if n_fat > 109:
            raise ValueError("file too large for a header-only DIFAT")

        fat = [FREESECT] * (n_fat * SECTOR // 4)
        pos = 0

        def chain(n):
            nonlocal pos
            first = pos if n else ENDOFCHAIN
            for i in range(n):
                fat[pos] = pos + 1 if i < n - 1 else ENDOFCHAIN
                pos += 1
            return first

        for _ in range(n_fat):
            fat[pos] = FATSECT
            pos += 1
        dir_start = chain(n_dir)
        minifat_start = chain(n_minifat)
        mini_start = chain(n_mini_container)
        for e, n in zip(big, big_sizes):
            e.start, e.size = chain(n), len(e.data)
        self.root.start = mini_start
        self.root.size = len(mini_data)

        header = struct.pack("<8s16sHHHHH6sIIIIIIIII", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\0" * 16,
                             0x3E, 3, 0xFFFE, 9, 6, b"\0" * 6, 0, n_fat, dir_start, 0, CUTOFF,
                             minifat_start if n_minifat else ENDOFCHAIN, n_minifat, ENDOFCHAIN, 0)
        header += struct.pack("<109I", *(list(range(n_fat)) + [FREESECT] * (109 - n_fat)))
        out = bytearray(header)
        out += struct.pack(f"<{len(fat)}I", *fat)
        dir_bytes = bytearray()
        for e in entries:
            dir_bytes += self._dirent(e)
        while len(dir_bytes) < n_dir * SECTOR:
            dir_bytes += struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM,
                                     b"\0" * 16, 0, 0, 0, 0, 0)
        out += dir_bytes
        mf = bytearray(struct.pack(f"<{len(minifat)}I", *minifat))
        mf += struct.pack("<I", FREESECT) * ((n_minifat * SECTOR - len(mf)) // 4)
        out += mf
        out += mini_data + b"\0" * (n_mini_container * SECTOR - len(mini_data))
        for e, n in zip(big, big_sizes):
            out += e.data + b"\0" * (n * SECTOR - len(e.data))
        return bytes(out)

    @staticmethod
    def _dirent(e: _Entry) -> bytes:
        name = e.name.encode("utf-16-le") + b"\0\0"
        start = e.start if e.kind != STORAGE else 0
        size = e.size if e.kind != STORAGE else 0
        return struct.pack("<64sHBBIII16sIQQIQ", name, len(name), e.kind, e.color, e.left, e.right, e.child,
                           e.clsid, 0, 0, 0, start, size)


# --------------------------------------------------------------------------- MS-OXMSG
PT_LONG, PT_BOOLEAN, PT_SYSTIME, PT_UNICODE, PT_BINARY = 0x0003, 0x000B, 0x0040, 0x001F, 0x0102
MAPI_TO, MAPI_CC = 1, 2


@dataclass
class MsgRecipient:
    name: str
    email: str
    kind: int = MAPI_TO


@dataclass
class MsgAttachment:
    filename: str
    data: bytes
    mime: str = "application/octet-stream"


def _filetime(t: dt.datetime) -> int:
    epoch = dt.datetime(1601, 1, 1, tzinfo=dt.timezone.utc)
    delta = t.astimezone(dt.timezone.utc) - epoch
    return (delta.days * 86400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


class _PropertyBag:
    def __init__(self):
        self.props = {}  # (prop_id, type) -> value

    def set(self, prop_id: int, ptype: int, value) -> None:
        if value is not None:
            self.props[(prop_id, ptype)] = value

    def write(self, cfb: CompoundFile, prefix: str, header: bytes) -> None:
        entries = bytearray(header)
        for (pid, ptype), value in sorted(self.props.items()):
            tag = (pid << 16) | ptype
            flags = 0x6  # PROPATTR_READABLE | PROPATTR_WRITABLE
            if ptype == PT_UNICODE:
                raw = value.encode("utf-16-le")
                cfb.add_stream(f"{prefix}__substg1.0_{pid:04X}{ptype:04X}", raw)
                entries += struct.pack("<IIII", tag, flags, len(raw) + 2, 0)
            elif ptype == PT_BINARY:
                cfb.add_stream(f"{prefix}__substg1.0_{pid:04X}{ptype:04X}", value)
                entries += struct.pack("<IIII", tag, flags, len(value), 0)
            elif ptype == PT_LONG:
                entries += struct.pack("<IIiI", tag, flags, value, 0)
            elif ptype == PT_BOOLEAN:
                entries += struct.pack("<IIII", tag, flags, 1 if value else 0, 0)
            elif ptype == PT_SYSTIME:
                entries += struct.pack("<IIQ", tag, flags, _filetime(value))
            else:
                raise ValueError(f"unsupported property type {ptype:#x}")
        cfb.add_stream(f"{prefix}__properties_version1.0", bytes(entries))


def build_msg(*, subject: str, sender_name: str, sender_email: str, recipients: list, sent: dt.datetime,
              body: str, html: str | None = None, message_id: str | None = None,
              in_reply_to: str | None = None, transport_headers: str | None = None,
              attachments: tuple = (), importance: int = 1) -> bytes:
    """Return the bytes of a received (read, sent) Outlook message."""
    cfb = CompoundFile(MSG_CLSID)
    for s in ("00020102", "00030102", "00040102"):  # empty named-property mapping
        cfb.add_stream(f"__nameid_version1.0/__substg1.0_{s}", b"")

    prefix = ""
    for p in ("RE: ", "Re: ", "FW: ", "Fw: "):
        if subject.startswith(p):
            prefix = p
    msg = _PropertyBag()
    msg.set(0x001A, PT_UNICODE, "IPM.Note")
    msg.set(0x0037, PT_UNICODE, subject)
    msg.set(0x003D, PT_UNICODE, prefix)
    msg.set(0x0E1D, PT_UNICODE, subject[len(prefix):])
    msg.set(0x0070, PT_UNICODE, subject[len(prefix):])
    msg.set(0x0017, PT_LONG, importance)
    for pid in (0x0C1A, 0x0042):                    # sender / sent-representing display name
        msg.set(pid, PT_UNICODE, sender_name)
    for pid in (0x0C1F, 0x0065, 0x5D01, 0x5D02):    # email addresses
        msg.set(pid, PT_UNICODE, sender_email)
    for pid in (0x0C1E, 0x0064):                    # address types
        msg.set(pid, PT_UNICODE, "SMTP")
    msg.set(0x0E04, PT_UNICODE, "; ".join(r.name for r in recipients if r.kind == MAPI_TO))
    msg.set(0x0E03, PT_UNICODE, "; ".join(r.name for r in recipients if r.kind == MAPI_CC))
    msg.set(0x0E02, PT_UNICODE, "")
    msg.set(0x1000, PT_UNICODE, body)
    if html is not None:
        msg.set(0x1013, PT_BINARY, html.encode("utf-8"))
    msg.set(0x1035, PT_UNICODE, message_id)
    msg.set(0x1042, PT_UNICODE, in_reply_to)
    msg.set(0x007D, PT_UNICODE, transport_headers)
    msg.set(0x0039, PT_SYSTIME, sent)               # PR_CLIENT_SUBMIT_TIME
    msg.set(0x0E06, PT_SYSTIME, sent)               # PR_MESSAGE_DELIVERY_TIME
    msg.set(0x0E07, PT_LONG, 0x1 | (0x10 if attachments else 0))  # MSGFLAG_READ | MSGFLAG_HASATTACH
    msg.set(0x0E1B, PT_BOOLEAN, bool(attachments))
    msg.set(0x340D, PT_LONG, 0x00040000)            # STORE_UNICODE_OK
    msg.set(0x3FDE, PT_LONG, 65001)                 # PR_INTERNET_CPID: UTF-8
    n_r, n_a = len(recipients), len(attachments)
    msg.write(cfb, "", struct.pack("<8sIIII8s", b"", n_r, n_a, n_r, n_a, b""))

    for i, r in enumerate(recipients):
        bag = _PropertyBag()
        bag.set(0x0C15, PT_LONG, r.kind)
        bag.set(0x3000, PT_LONG, i)
        bag.set(0x0FFE, PT_LONG, 6)                 # MAPI_MAILUSER
        bag.set(0x3900, PT_LONG, 0)                 # DT_MAILUSER
        bag.set(0x3001, PT_UNICODE, r.name)
        bag.set(0x5FF6, PT_UNICODE, r.name)
        bag.set(0x3002, PT_UNICODE, "SMTP")
        bag.set(0x3003, PT_UNICODE, r.email)
        bag.set(0x39FE, PT_UNICODE, r.email)
        name = f"__recip_version1.0_#{i:08X}"
        cfb.add_storage(name)
        bag.write(cfb, name + "/", b"\0" * 8)

    for i, a in enumerate(attachments):
        stem, dot, ext = a.filename.rpartition(".")
        short = (stem[:6].upper() + "~1" + (dot + ext[:3].upper() if dot else "")) if len(stem) > 8 else a.filename
        bag = _PropertyBag()
        bag.set(0x0E21, PT_LONG, i)
        bag.set(0x0E20, PT_LONG, len(a.data))
        bag.set(0x0FFE, PT_LONG, 7)                 # MAPI_ATTACH
        bag.set(0x3705, PT_LONG, 1)                 # ATTACH_BY_VALUE
        bag.set(0x370B, PT_LONG, -1)                # rendering position: not rendered inline
        bag.set(0x7FFE, PT_BOOLEAN, False)          # not hidden
        bag.set(0x3001, PT_UNICODE, a.filename)
        bag.set(0x3704, PT_UNICODE, short)
        bag.set(0x3707, PT_UNICODE, a.filename)
        bag.set(0x3703, PT_UNICODE, dot + ext if dot else "")
        bag.set(0x370E, PT_UNICODE, a.mime)
        bag.set(0x3701, PT_BINARY, a.data)
        name = f"__attach_version1.0_#{i:08X}"
        cfb.add_storage(name)
        bag.write(cfb, name + "/", b"\0" * 8)
    return cfb.tobytes()
