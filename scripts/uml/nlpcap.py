#!/usr/bin/python3
"""Turn a pcap of netlink traffic (tcpdump on an nlmon device) into a JSON fixture.

    /usr/bin/python3 scripts/uml/nlpcap.py FILE.pcap [--command CMD] [--made TEXT]
        [--kernel VER] [--iproute2 VER] [--all-protocols] [--ctrl-only] > FILE.json

Standard library only. Understands classic pcap files (either byte order, micro- or
nanosecond timestamps) with link type NETLINK (253; what tcpdump writes for nlmon),
LINUX_SLL (113) or LINUX_SLL2 (276).

Direction. af_netlink marks each tapped skb PACKET_KERNEL (7, to a kernel socket) or
PACKET_USER (6, to user space), but the copy a packet socket receives from nlmon passes
through dev_queue_xmit_nit(), which overwrites the type with PACKET_OUTGOING (4): on
6.1 every packet reads 4. So the cooked header's type is used when it is 6 or 7, and
otherwise the direction comes from the message itself: a request carries NLM_F_REQUEST
(the kernel never sets it on what it sends), everything else came from the kernel. A
message from the kernel with sequence number 0 and port id 0 that is not an
error/ack/done is a multicast notification. Each fixture says which rule applied.

Each netlink message becomes one entry of "messages" with its exact bytes in "hex" and
a decoded "summary" for people (the hex is what tests must compare). Generic netlink
family ids are assigned at run time: the id the controller answered for each family
name is recorded in "families", so tests can mask it.
"""

import argparse
import json
import struct
import sys

LINKTYPE_NETLINK = 253
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276
PACKET_OUTGOING = 4
PACKET_USER = 6
PACKET_KERNEL = 7
NLM_F_REQUEST = 0x1
NETLINK_GENERIC = 16

NLMSG_NOOP, NLMSG_ERROR, NLMSG_DONE, NLMSG_OVERRUN = 1, 2, 3, 4
GENL_ID_CTRL = 0x10
NLM_F_CAPPED = 0x100
NLM_F_ACK_TLVS = 0x200
NLA_F_NESTED = 0x8000
NLA_F_NET_BYTEORDER = 0x4000
NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xFFFF

CTRL_CMDS = {1: "NEWFAMILY", 2: "DELFAMILY", 3: "GETFAMILY", 7: "NEWMCAST_GRP"}
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_MCAST_GROUPS = 1, 2, 7
CTRL_ATTR_MCAST_GRP_NAME, CTRL_ATTR_MCAST_GRP_ID = 1, 2

# Names for the human-readable summary, read from the uapi header when it is there
# (linux-libc-dev); the hex never depends on them.
DEVLINK_HEADER = "/usr/include/linux/devlink.h"


def uapi_enum(path, enum, prefix):
    """Parse a C enum into {value: name}: implicit values, numbers, and aliases of
    earlier members (DEVLINK_CMD_ESWITCH_MODE_GET = DEVLINK_CMD_ESWITCH_GET); the first
    name of a value wins."""
    import re
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return {}
    m = re.search(r"enum\s+" + enum + r"\s*\{(.*?)\};", text, re.S)
    if not m:
        return {}
    body = re.sub(r"/\*.*?\*/", "", m.group(1), flags=re.S)
    body = re.sub(r"//[^\n]*", "", body)
    body = re.sub(r"^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", "", body, flags=re.M)  # #define X \ Y
    values, out, n = {}, {}, -1
    for item in body.split(","):
        item = item.strip()
        if not item:
            continue
        name, _, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not value:
            n += 1
        elif value in values:
            n = values[value]
        else:
            try:
                n = int(value, 0)
            except ValueError:
                break  # an expression such as __X_MAX - 1: the useful part is over
        values[name] = n
        if name.startswith(prefix) and not name.startswith("__"):
            out.setdefault(n, name[len(prefix):])
    return out


DEVLINK_CMDS = uapi_enum(DEVLINK_HEADER, "devlink_command", "DEVLINK_CMD_")
DEVLINK_ATTRS = uapi_enum(DEVLINK_HEADER, "devlink_attr", "DEVLINK_ATTR_")
EXTACK_ATTRS = {1: "MSG", 2: "OFFS", 3: "COOKIE", 4: "POLICY", 5: "MISS_TYPE", 6: "MISS_NEST"}


class PcapError(Exception):
    pass


def read_pcap(data):
    """Yield (linktype, packet bytes) for each record of a classic pcap file."""
    if len(data) < 24:
        raise PcapError("file shorter than a pcap global header")
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    elif magic == b"\x0a\x0d\x0d\x0a":
        raise PcapError("pcapng is not supported; capture with tcpdump -w (classic pcap)")
    else:
        raise PcapError("not a pcap file (magic %s)" % magic.hex())
    _vmaj, _vmin, _tz, _sig, _snaplen, linktype = struct.unpack(e + "HHiIII", data[4:24])
    linktype &= 0x0FFFFFFF
    off = 24
    while off + 16 <= len(data):
        _sec, _frac, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        if off + incl > len(data):
            raise PcapError("truncated record at offset %d" % (off - 16))
        if incl != orig:
            raise PcapError("record at offset %d was cut by the snap length (%d of %d bytes)"
                            % (off - 16, incl, orig))
        yield linktype, data[off:off + incl]
        off += incl


def cooked(linktype, pkt):
    """Return (pkttype, netlink protocol, payload) from the cooked header."""
    if linktype in (LINKTYPE_NETLINK, LINKTYPE_LINUX_SLL):
        if len(pkt) < 16:
            raise PcapError("packet shorter than a cooked header")
        pkttype, _hatype, _alen = struct.unpack(">HHH", pkt[:6])
        (proto,) = struct.unpack(">H", pkt[14:16])
        return pkttype, proto, pkt[16:]
    if linktype == LINKTYPE_LINUX_SLL2:
        if len(pkt) < 20:
            raise PcapError("packet shorter than an SLL2 header")
        (proto,) = struct.unpack(">H", pkt[0:2])
        pkttype = pkt[10]
        return pkttype, proto, pkt[20:]
    raise PcapError("unsupported link type %d (want 253, 113 or 276)" % linktype)


def split_messages(payload):
    """Split a datagram into netlink messages (4-byte aligned)."""
    out = []
    off = 0
    while off + 16 <= len(payload):
        (length,) = struct.unpack("<I", payload[off:off + 4])
        if length < 16 or off + length > len(payload):
            raise PcapError("bad nlmsg_len %d at offset %d" % (length, off))
        out.append(payload[off:off + length])
        off += (length + 3) & ~3
    if off < len(payload) and any(payload[off:]):
        raise PcapError("%d trailing bytes after the last message" % (len(payload) - off))
    return out


def attrs(buf):
    """Parse a run of netlink attributes into (type, flags, payload) tuples."""
    out = []
    off = 0
    while off + 4 <= len(buf):
        length, typ = struct.unpack("<HH", buf[off:off + 4])
        if length < 4 or off + length > len(buf):
            break
        out.append((typ & NLA_TYPE_MASK, typ & (NLA_F_NESTED | NLA_F_NET_BYTEORDER),
                    buf[off + 4:off + length]))
        off += (length + 3) & ~3
    return out


def cstr(b):
    return b.split(b"\0", 1)[0].decode("utf-8", "replace")


def header(msg):
    length, typ, flags, seq, pid = struct.unpack("<IHHII", msg[:16])
    return {"len": length, "type": typ, "flags": flags, "seq": seq, "pid": pid}


def summarize(msg, families_by_id):
    """A readable decoding of one message; tests should compare the hex."""
    h = header(msg)
    s = dict(h)
    s["flagsHex"] = "0x%x" % h["flags"]
    typ = h["type"]
    body = msg[16:]
    if typ == NLMSG_ERROR:
        (err,) = struct.unpack("<i", body[:4])
        s["kind"] = "ack" if err == 0 else "error"
        s["errno"] = err
        orig = header(body[4:20]) if len(body) >= 20 else None
        if orig:
            s["original"] = {k: orig[k] for k in ("len", "type", "flags", "seq", "pid")}
        if h["flags"] & NLM_F_ACK_TLVS and orig:
            start = 4 + 16 if (h["flags"] & NLM_F_CAPPED or err == 0) else 4 + orig["len"]
            ext = {}
            for t, _f, v in attrs(body[(start + 3) & ~3:]):
                name = EXTACK_ATTRS.get(t, str(t))
                if t == 1:
                    ext[name] = cstr(v)
                elif t in (2, 5, 6) and len(v) == 4:
                    ext[name] = struct.unpack("<I", v)[0]
                else:
                    ext[name] = v.hex()
            s["extack"] = ext
        return s
    if typ == NLMSG_DONE:
        s["kind"] = "done"
        if len(body) >= 4:
            s["errno"] = struct.unpack("<i", body[:4])[0]
        return s
    if typ < 16:
        s["kind"] = "control"
        return s
    s["kind"] = "genl"
    if len(body) < 4:
        return s
    cmd, version = body[0], body[1]
    family = "nlctrl" if typ == GENL_ID_CTRL else families_by_id.get(typ)
    s["family"] = family
    s["cmd"] = cmd
    s["version"] = version
    a = attrs(body[4:])
    if family == "nlctrl":
        s["cmdName"] = "CTRL_CMD_" + CTRL_CMDS.get(cmd, str(cmd))
        for t, _f, v in a:
            if t == CTRL_ATTR_FAMILY_NAME:
                s["familyName"] = cstr(v)
            elif t == CTRL_ATTR_FAMILY_ID and len(v) >= 2:
                s["familyId"] = struct.unpack("<H", v[:2])[0]
    elif family == "devlink":
        s["cmdName"] = "DEVLINK_CMD_" + DEVLINK_CMDS.get(cmd, str(cmd))
    s["attrs"] = [
        (DEVLINK_ATTRS.get(t, str(t)) if family == "devlink" else str(t))
        + ("(nested)" if f & NLA_F_NESTED else "")
        for t, f, _v in a
    ]
    if family == "devlink":
        handle = {}
        for t, _f, v in a:
            if t == 1:
                handle["bus"] = cstr(v)
            elif t == 2:
                handle["dev"] = cstr(v)
            elif t == 3 and len(v) == 4:
                handle["port"] = struct.unpack("<I", v)[0]
            elif DEVLINK_ATTRS.get(t) == "PORT_FUNCTION":
                fn = {}
                for ft, _ff, fv in attrs(v):
                    if ft == 1:
                        fn["hw_addr"] = ":".join("%02x" % b for b in fv)
                    elif ft == 2 and len(fv) == 1:
                        fn["state"] = fv[0]
                    elif ft == 3 and len(fv) == 1:
                        fn["opstate"] = fv[0]
                    else:
                        fn[str(ft)] = fv.hex()
                s["function"] = fn
        if handle:
            s["handle"] = handle
    return s


def learn_families(msg, families):
    """Record family name -> id (and multicast groups) from a CTRL_CMD_NEWFAMILY."""
    h = header(msg)
    if h["type"] != GENL_ID_CTRL or len(msg) < 20 or msg[16] != 1:
        return
    name, fid, groups = None, None, {}
    for t, _f, v in attrs(msg[20:]):
        if t == CTRL_ATTR_FAMILY_NAME:
            name = cstr(v)
        elif t == CTRL_ATTR_FAMILY_ID and len(v) >= 2:
            fid = struct.unpack("<H", v[:2])[0]
        elif t == CTRL_ATTR_MCAST_GROUPS:
            for _i, _f2, grp in attrs(v):
                gname, gid = None, None
                for gt, _f3, gv in attrs(grp):
                    if gt == CTRL_ATTR_MCAST_GRP_NAME:
                        gname = cstr(gv)
                    elif gt == CTRL_ATTR_MCAST_GRP_ID and len(gv) == 4:
                        gid = struct.unpack("<I", gv)[0]
                if gname is not None:
                    groups[gname] = gid
    if name is not None and fid is not None:
        families[name] = {"id": fid, "mcastGroups": groups}


def direction(pkttype, msg):
    """Return (dir, rule): dir is request, reply or notification."""
    h = header(msg)
    if pkttype == PACKET_KERNEL:
        return "request", "pkttype"
    if pkttype == PACKET_USER:
        rule = "pkttype"
        to_kernel = False
    else:
        rule = "flags"
        to_kernel = bool(h["flags"] & NLM_F_REQUEST) and h["type"] not in (NLMSG_ERROR, NLMSG_DONE)
    if to_kernel:
        return "request", rule
    if h["seq"] == 0 and h["pid"] == 0 and h["type"] >= 16:
        return "notification", rule
    return "reply", rule


def extract(path, all_protocols=False, ctrl_only=False):
    """Return (messages, families, linktype, skipped, direction rule) for a pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    families = {}
    messages = []
    linktype_seen = None
    skipped = 0
    for packet_no, (linktype, pkt) in enumerate(read_pcap(data)):
        linktype_seen = linktype
        pkttype, proto, payload = cooked(linktype, pkt)
        if proto != NETLINK_GENERIC and not all_protocols:
            skipped += 1
            continue
        for msg in split_messages(payload):
            if proto == NETLINK_GENERIC:
                learn_families(msg, families)
            messages.append({"packet": packet_no, "pkttype": pkttype, "protocol": proto, "msg": msg})
    by_id = {v["id"]: k for k, v in families.items()}
    out = []
    rules = set()
    last_request_type = None
    for m in messages:
        msg = m["msg"]
        h = header(msg)
        dir_, rule = direction(m["pkttype"], msg)
        if dir_ == "request":
            last_request_type = h["type"]
        if ctrl_only:
            # The controller exchange: requests to id 0x10 and what answers them. Requests
            # are synchronous in iproute2, so an answer belongs to the last request.
            owner = h["type"] if dir_ == "request" else last_request_type
            if owner != GENL_ID_CTRL:
                continue
        rules.add(rule)
        entry = {
            "dir": dir_,
            "packet": m["packet"],
            "pkttype": m["pkttype"],
        }
        if all_protocols:
            entry["protocol"] = m["protocol"]
        entry["hex"] = msg.hex()
        entry["summary"] = summarize(msg, by_id) if m["protocol"] == NETLINK_GENERIC else header(msg)
        out.append(entry)
    rule = "pkttype" if rules == {"pkttype"} else "flags" if rules == {"flags"} else "mixed" if rules else None
    return out, families, linktype_seen, skipped, rule


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pcap")
    ap.add_argument("--name")
    ap.add_argument("--command", default=None)
    ap.add_argument("--made", default=None)
    ap.add_argument("--kernel", default=None)
    ap.add_argument("--iproute2", default=None)
    ap.add_argument("--all-protocols", action="store_true",
                    help="keep messages of every netlink protocol, not only generic netlink")
    ap.add_argument("--ctrl-only", action="store_true",
                    help="keep only the exchange with the genl controller (family lookups)")
    args = ap.parse_args(argv)
    try:
        messages, families, linktype, skipped, rule = extract(args.pcap, args.all_protocols, args.ctrl_only)
    except (OSError, PcapError) as e:
        print("nlpcap: %s: %s" % (args.pcap, e), file=sys.stderr)
        return 1
    doc = {}
    if args.name:
        doc["name"] = args.name
    doc["command"] = args.command
    doc["kernel"] = args.kernel
    doc["iproute2"] = args.iproute2
    doc["made"] = args.made
    doc["linktype"] = linktype
    doc["directionFrom"] = rule
    doc["families"] = families
    doc["skippedOtherProtocols"] = skipped
    doc["messages"] = messages
    json.dump(doc, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
