#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Actors of tests/suites/adversary.sh: the processes an attacker (run as an
unprivileged user through setpriv) or its victim (root) runs. One sub-command
per action; each prints "key=value" lines the suite reads.

  actor.py hold FILE OFF LEN        splice LEN bytes of FILE at OFF into a pipe,
                                     keep it, print held=N then pid=PID, sleep
                                     until killed
  actor.py pwrite FILE OFF DATA      pwrite DATA at OFF; prints status=ok|errno:N
  actor.py pipe                      make a pipe, print pid=PID and w=/proc/PID/fd/N
                                     (its write end), sleep until killed
  actor.py splice_into FILE OFF LEN PIPE
                                     splice LEN bytes of FILE at OFF into the pipe
                                     opened at path PIPE (another process's pipe,
                                     through /proc), print held=N, exit
  actor.py hold_read FILE OFF LEN GO AT N
                                     as hold, then once the file GO exists, read
                                     the pipe and print pipe=<its bytes AT..AT+N>
  actor.py hold_many FILE OFF LEN N  hold, in N pipes at once; prints pipes=N,
                                     pid=PID, sleeps until killed
  actor.py hold_spread LIST PER_PIPE one byte of each "PATH OFFSET" line of the
                                     file LIST spliced into pipes of PER_PIPE
                                     buffers (F_SETPIPE_SZ past 16), each kept;
                                     prints pipes=N, pid=PID, sleeps until
                                     killed
  actor.py anon_flood N              N pipes each holding one vmspliced byte of
                                     anonymous memory; prints pipes=N, pid=PID,
                                     sleeps until killed (needs 2N+ fds)
  actor.py many_writers DIR N        N files in DIR, page 0 of each held in a
                                     pipe, then N threads at once each pwrite
                                     one byte into its own file; prints a line
                                     "tid=T ino=I off=O path=P" per thread
  actor.py pid_pwrite GO FILE OFF DATA
                                     print pid=PID, wait until the file GO
                                     exists (the suite checks the pid first),
                                     then pwrite as above
  actor.py daemon_pwrite GO FILE OFF DATA
                                     double fork + setsid: the grandchild waits
                                     to be re-parented, prints daemon_pid=PID
                                     reparented=1, waits for the file GO,
                                     pwrites as above; the first process exits
                                     0 once it did
  actor.py race_fd HELD OTHER SECS   thread A dup2()s HELD and OTHER over one fd
                                     in turn while thread B pwrites its sequence
                                     number (8 bytes) at 96 through it, SECS
                                     seconds; prints "landed T0 T1" (monotonic
                                     ns around the write) for each write that
                                     landed in HELD, then writes=N
"""
import fcntl
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


def pipe(args):
    r, w = os.pipe()
    print(f"pid={os.getpid()}\nw=/proc/{os.getpid()}/fd/{w}", flush=True)
    while True:
        time.sleep(60)


def hold_many(args):
    path, off, length, n = args[0], int(args[1]), int(args[2]), int(args[3])
    fd = os.open(path, os.O_RDONLY)
    pipes = []
    for _ in range(n):
        r, w = os.pipe()
        os.splice(fd, w, length, offset_src=off)
        pipes.append((r, w))
    print(f"pipes={len(pipes)}\npid={os.getpid()}", flush=True)
    while True:
        time.sleep(60)


def hold_spread(args):
    per_pipe = int(args[1])
    pipes, w, used = [], -1, per_pipe
    with open(args[0]) as f:
        for line in f:
            path, off = line.split()
            if used == per_pipe:
                r, w = os.pipe()
                if per_pipe > 16:
                    fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, per_pipe * 4096)
                pipes.append((r, w))
                used = 0
            fd = os.open(path, os.O_RDONLY)
            if os.splice(fd, w, 1, offset_src=int(off)) != 1:
                sys.exit(f"splice {path} at {off}: short")
            os.close(fd)
            used += 1
    print(f"pipes={len(pipes)}\npid={os.getpid()}", flush=True)
    while True:
        time.sleep(60)


def splice_into(args):
    path, off, length, pipe_path = args[0], int(args[1]), int(args[2]), args[3]
    fd = os.open(path, os.O_RDONLY)
    w = os.open(pipe_path, os.O_WRONLY)
    print(f"held={os.splice(fd, w, length, offset_src=off)}", flush=True)


def hold_read(args):
    path, off, length, go, at, n = args[0], int(args[1]), int(args[2]), args[3], int(args[4]), int(args[5])
    fd = os.open(path, os.O_RDONLY)
    r, w = os.pipe()
    held = os.splice(fd, w, length, offset_src=off)
    print(f"held={held}\npid={os.getpid()}", flush=True)
    while not os.path.exists(go):
        time.sleep(0.02)
    data = b""
    while len(data) < held:
        data += os.read(r, held - len(data))
    print(f"pipe={data[at:at + n].decode(errors='replace')}", flush=True)


def anon_flood(args):
    import ctypes
    n = int(args[0])
    libc = ctypes.CDLL(None, use_errno=True)

    class Iovec(ctypes.Structure):
        _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]

    buf = ctypes.create_string_buffer(b"x", 4096)	# anonymous memory (the heap)
    iov = Iovec(ctypes.cast(buf, ctypes.c_void_p), 1)
    pipes = []
    for _ in range(n):
        r, w = os.pipe()
        if libc.vmsplice(w, ctypes.byref(iov), 1, 0) != 1:
            sys.exit(f"vmsplice: errno {ctypes.get_errno()}")
        pipes.append((r, w))
    print(f"pipes={len(pipes)}\npid={os.getpid()}", flush=True)
    while True:
        time.sleep(60)


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


def pid_pwrite(args):
    go = args[0]
    print(f"pid={os.getpid()}", flush=True)
    while not os.path.exists(go):
        time.sleep(0.01)
    pwrite(args[1:])


def daemon_pwrite(args):
    r, w = os.pipe()
    if os.fork() == 0:
        os.close(r)
        os.setsid()
        parent = os.getpid()
        if os.fork():
            os._exit(0)
        for _ in range(2000):
            if os.getppid() != parent:
                break
            time.sleep(0.001)
        print(f"daemon_pid={os.getpid()}\nreparented={int(os.getppid() != parent)}",
              flush=True)
        while not os.path.exists(args[0]):
            time.sleep(0.01)
        pwrite(args[1:])
        os.write(w, b"d")
        os._exit(0)
    os.close(w)
    os.wait()
    sys.exit(0 if os.read(r, 1) == b"d" else 1)


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


ACTIONS = {"hold": hold, "pwrite": pwrite, "pipe": pipe, "splice_into": splice_into,
           "hold_read": hold_read, "hold_many": hold_many, "hold_spread": hold_spread,
           "anon_flood": anon_flood, "many_writers": many_writers, "pid_pwrite": pid_pwrite,
           "daemon_pwrite": daemon_pwrite, "race_fd": race_fd}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in ACTIONS:
        sys.exit("usage: actor.py " + "|".join(ACTIONS) + " ARGS...")
    ACTIONS[sys.argv[1]](sys.argv[2:])
