#!/usr/bin/env python3
# Workload for tests/suites/flow.sh: real unsafe writes, as many as asked.
#
#   flow_workload.py [OPTIONS] FILE
#
# Creates FILE (two pages of 'A', or --size bytes), splices its first page
# (or the page at --offset) into a pipe it keeps unread, then makes the
# writes below into the held bytes and prints "pid=P" and "tid=T" (the
# writing thread; with --forks: the parent's) on stdout. The pipe is read
# only at the end.
#
#   --writes N      N pwrite(2)s of 4 bytes at the held offset (default 1)
#   --forks N       instead: N children, each one pwrite (N writer pids)
#   --comm NAME     the writing thread's comm (default flow-writer)
#   --offset OFF    hold and write at file offset OFF (a sparse file)
#   --thread        a second thread makes the writes (tid != pid)
#   --go FILE       make the writes only once FILE exists (up to 60 s)
#   --wait S        sleep S seconds between the splice and the writes
import os
import sys
import threading
import time


def main():
    args = sys.argv[1:]
    opts = {"--writes": "1", "--forks": "0", "--comm": "flow-writer", "--offset": "0",
            "--go": "", "--wait": "0"}
    thread = False
    while len(args) > 1:
        a = args.pop(0)
        if a == "--thread":
            thread = True
        elif a in opts:
            opts[a] = args.pop(0)
        else:
            sys.exit("flow_workload: bad option " + a)
    path = args[0]
    off = int(opts["--offset"])
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    os.pwrite(fd, b"A" * 8192, off)
    r, w = os.pipe()
    if os.splice(fd, w, 4096, offset_src=off) <= 0:
        sys.exit("flow_workload: splice moved nothing")
    if float(opts["--wait"]):
        time.sleep(float(opts["--wait"]))
    if opts["--go"]:
        for _ in range(3000):
            if os.path.exists(opts["--go"]):
                break
            time.sleep(0.02)
    tids = []

    def writes():
        with open("/proc/thread-self/comm", "w") as c:
            c.write(opts["--comm"])
        tids.append(threading.get_native_id())
        for _ in range(int(opts["--writes"])):
            os.pwrite(fd, b"WWWW", off)

    nforks = int(opts["--forks"])
    if nforks:
        kids = []
        for _ in range(nforks):
            pid = os.fork()
            if pid == 0:
                try:
                    with open("/proc/self/comm", "w") as c:
                        c.write(opts["--comm"])
                    os.pwrite(fd, b"WWWW", off)
                finally:
                    os._exit(0)
            kids.append(pid)
        for pid in kids:
            os.waitpid(pid, 0)
        tids.append(os.getpid())
    elif thread:
        t = threading.Thread(target=writes)
        t.start()
        t.join()
    else:
        writes()
    print("pid=%d" % os.getpid())
    print("tid=%d" % tids[0])
    sys.stdout.flush()
    os.read(r, 4096)


main()
