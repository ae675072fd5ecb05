#!/usr/bin/env python3
# Workload for tests/suites/flow.sh: real unsafe writes, as many as asked.
#
#   flow_workload.py [OPTIONS] FILE [FILE2]
#
# Creates each FILE (8 KiB of 'A' at --offset: sparse before it), splices
# its page at --offset into a pipe of its own kept unread (from the writing
# thread, after --go), then makes the writes below into the held bytes of
# each file in turn and prints "pid=P" and "tid=T" (the writing thread) on
# stdout. The pipes are read at the end.
#
#   --writes N      N pwrite(2)s of 4 bytes at the held offset, per file
#                   (default 1)
#   --forks N       instead: N children, each one pwrite (N writer pids)
#   --comm NAME     the writing thread's comm (default flow-writer)
#   --offset OFF    hold and write at file offset OFF
#   --thread        a second thread makes the writes (tid != pid); with
#   --both          the main thread makes one write after them
#   --ready FILE    the writing thread writes "pid=P tid=T" to FILE (made
#                   atomically), then waits for
#   --go FILE       the writes are made only once FILE exists (up to 60 s)
import os
import sys
import threading
import time


def wait_for(path):
    for _ in range(3000):
        if os.path.exists(path):
            return
        time.sleep(0.02)
    sys.exit("flow_workload: no " + path)


def main():
    args = sys.argv[1:]
    opts = {"--writes": "1", "--forks": "0", "--comm": "flow-writer", "--offset": "0",
            "--go": "", "--ready": ""}
    flags = set()
    while args and args[0].startswith("--"):
        a = args.pop(0)
        if a in ("--thread", "--both"):
            flags.add(a)
        elif a in opts and args:
            opts[a] = args.pop(0)
        else:
            sys.exit("flow_workload: bad option " + a)
    if not 1 <= len(args) <= 2:
        sys.exit("usage: flow_workload.py [OPTIONS] FILE [FILE2]")
    off = int(opts["--offset"])
    held = []

    # After --go: splicewatch learns holds as they are made.
    def hold():
        for path in args:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
            os.pwrite(fd, b"A" * 8192, off)
            r, w = os.pipe()
            if os.splice(fd, w, 4096, offset_src=off) <= 0:
                sys.exit("flow_workload: splice moved nothing")
            held.append((fd, r))

    tids = []

    def writes():
        with open("/proc/thread-self/comm", "w") as c:
            c.write(opts["--comm"])
        tids.append(threading.get_native_id())
        if opts["--ready"]:
            tmp = opts["--ready"] + ".tmp"
            with open(tmp, "w") as f:
                f.write("pid=%d\ntid=%d\n" % (os.getpid(), tids[0]))
            os.rename(tmp, opts["--ready"])
        if opts["--go"]:
            wait_for(opts["--go"])
        hold()
        for fd, _ in held:
            for _ in range(int(opts["--writes"])):
                os.pwrite(fd, b"WWWW", off)

    nforks = int(opts["--forks"])
    if nforks:
        hold()
        kids = []
        for _ in range(nforks):
            pid = os.fork()
            if pid == 0:
                try:
                    with open("/proc/self/comm", "w") as c:
                        c.write(opts["--comm"])
                    os.pwrite(held[0][0], b"WWWW", off)
                finally:
                    os._exit(0)
            kids.append(pid)
        for pid in kids:
            os.waitpid(pid, 0)
        tids.append(os.getpid())
    elif "--thread" in flags:
        t = threading.Thread(target=writes)
        t.start()
        t.join()
        if "--both" in flags:
            os.pwrite(held[0][0], b"MMMM", off)
    else:
        writes()
    print("pid=%d" % os.getpid())
    print("tid=%d" % tids[0])
    sys.stdout.flush()
    for _, r in held:
        os.read(r, 4096)


main()
