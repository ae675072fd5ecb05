#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Actors of tests/suites/adversary.sh: the processes an attacker (run as an
unprivileged user through setpriv) or its victim (root) runs. One sub-command
per action; each prints "key=value" lines the suite reads.

  actor.py hold FILE OFF LEN        splice LEN bytes of FILE at OFF into a pipe,
                                     keep it, print held=N then pid=PID, sleep
                                     until killed
  actor.py pwrite FILE OFF DATA      pwrite DATA at OFF; prints status=ok|errno:N
  actor.py pid-pwrite GO FILE OFF DATA
                                     print pid=PID, wait until the file GO
                                     exists (the suite checks the pid first),
                                     then pwrite as above
  actor.py daemon-pwrite GO FILE OFF DATA
                                     double fork + setsid: the grandchild waits
                                     to be re-parented, prints daemon_pid=PID
                                     reparented=1, waits for the file GO,
                                     pwrites as above; the first process exits
                                     0 once it did
"""
import os
import sys
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


ACTIONS = {"hold": hold, "pwrite": pwrite, "pid-pwrite": pid_pwrite,
           "daemon-pwrite": daemon_pwrite}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in ACTIONS:
        sys.exit("usage: actor.py " + "|".join(ACTIONS) + " ARGS...")
    ACTIONS[sys.argv[1]](sys.argv[2:])
