#!/usr/bin/env python3
"""tests/sd_socket.py - the receiving end of the sockets systemd gives a
service, for tests/suites/service.sh: a unix datagram socket at PATH whose
every datagram becomes one JSON line in OUT:

  {"pid": sender pid, "progs": ids of the BPF programs the sender holds as it arrives,
   "fields": {KEY: value, ...} (notify and journal: both KEY=value lines and
   the journal's binary form), "raw": the datagram as text}

    sd_socket.py PATH OUT [READY_FILE]

READY_FILE is created once the socket is bound. Runs until killed."""
import json, os, socket, struct, sys

path, out = sys.argv[1], sys.argv[2]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
if len(sys.argv) > 3:
    open(sys.argv[3], "w").close()


def progs(pid):
    """The ids of the BPF programs pid holds (a program's fd or a link's)."""
    ids = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fdinfo"):
            try:
                with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                    ids |= {int(l.split()[1]) for l in f if l.startswith("prog_id:")}
            except OSError:
                pass
    except OSError:
        return None
    return sorted(ids)


def fields(b):
    """KEY=value\\n lines, or KEY\\n<le64 length><value>\\n (sd_journal_sendv
    for values with a newline)."""
    d, i = {}, 0
    while i < len(b):
        nl = b.find(b"\n", i)
        if nl < 0:
            nl = len(b)
        line = b[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            d[k.decode()] = v.decode("utf-8", "replace")
            i = nl + 1
        else:
            (n,) = struct.unpack("<Q", b[nl + 1:nl + 9])
            d[line.decode()] = b[nl + 9:nl + 9 + n].decode("utf-8", "replace")
            i = nl + 9 + n + 1
    return d


with open(out, "a") as o:
    while True:
        data, anc, _, _ = s.recvmsg(1 << 20, socket.CMSG_SPACE(12))
        pid = -1
        for lvl, typ, c in anc:
            if lvl == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", c[:12])[0]
        rec = {"pid": pid, "progs": progs(pid), "raw": data.decode("utf-8", "replace")}
        try:
            rec["fields"] = fields(data)
        except Exception as e:  # a syslog line is not fields
            rec["fields"] = {}
        o.write(json.dumps(rec) + "\n")
        o.flush()
