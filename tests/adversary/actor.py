#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Actors of tests/suites/adversary.sh: the processes an attacker (run as an
unprivileged user through setpriv) or its victim (root) runs. One sub-command
per action; each prints "key=value" lines the suite reads.

  actor.py hold FILE OFF LEN        splice LEN bytes of FILE at OFF into a pipe,
                                     keep it, print held=N then pid=PID, sleep
                                     until killed
  actor.py pwrite FILE OFF DATA      pwrite DATA at OFF; prints status=ok|errno:N
  actor.py many_writers DIR N        N files in DIR, page 0 of each held in a
                                     pipe, then N threads at once each pwrite
                                     one byte into its own file; prints a line
                                     "tid=T ino=I off=O path=P" per thread
  actor.py race_fd HELD OTHER SECS   thread A dup2()s HELD and OTHER over one fd
                                     in turn while thread B pwrites its sequence
                                     number (8 bytes) at 96 through it, SECS
                                     seconds; prints "landed T0 T1" (monotonic
                                     ns around the write) for each write that
                                     landed in HELD, then writes=N
"""
import os
import resource
import struct
import sys
import threading
import time


def hold(args):
    path, off, length = args[0], int(args[1]), int(args[2])
    fd = os.open(path, os.O_RDONLY)
    r, w = os.pipe()
    n = os.splice(fd, w, length, offset_src=off)
    print(f"held={n}\npid={os.getpid()}", flush=True)
    while True:
        time.sleep(60)


def pwrite(args):
    path, off, data = args[0], int(args[1]), args[2].encode()
    fd = os.open(path, os.O_WRONLY)
    try:
        os.pwrite(fd, data, off)
        print("status=ok", flush=True)
    except OSError as e:
        print(f"status=errno:{e.errno}", flush=True)


def many_writers(args):
    d, n = args[0], int(args[1])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    files = []
    for i in range(n):
        path = f"{d}/w{i}"
        with open(path, "wb") as f:
            f.write(b"A" * 4096)
        fd = os.open(path, os.O_RDWR)
        r, w = os.pipe()
        os.splice(fd, w, 4096, offset_src=0)
        files.append((path, fd, r, w))
    barrier = threading.Barrier(n)
    out = [None] * n

    def run(i):
        path, fd = files[i][0], files[i][1]
        barrier.wait()
        os.pwrite(fd, b"W", i % 4096)
        out[i] = f"tid={threading.get_native_id()} ino={os.fstat(fd).st_ino} off={i % 4096} path={path}"

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("\n".join(out), flush=True)


def race_fd(args):
    held, other, secs = args[0], args[1], float(args[2])
    hfd, ofd = os.open(held, os.O_WRONLY), os.open(other, os.O_WRONLY)
    check = os.open(held, os.O_RDONLY)
    fd = os.dup(ofd)
    stop = time.monotonic() + secs
    writes = 0

    def swap():
        while time.monotonic() < stop:
            os.dup2(hfd, fd)
            os.dup2(ofd, fd)

    a = threading.Thread(target=swap)
    a.start()
    while time.monotonic() < stop:
        writes += 1
        data = struct.pack("<Q", writes)
        t0 = time.monotonic_ns()
        os.pwrite(fd, data, 96)
        t1 = time.monotonic_ns()
        if os.pread(check, 8, 96) == data:
            print(f"landed {t0} {t1}")
    a.join()
    print(f"writes={writes}", flush=True)


ACTIONS = {"hold": hold, "pwrite": pwrite, "many_writers": many_writers,
           "race_fd": race_fd}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in ACTIONS:
        sys.exit("usage: actor.py " + "|".join(ACTIONS) + " ARGS...")
    ACTIONS[sys.argv[1]](sys.argv[2:])
