#!/usr/bin/env python3
# A dead FUSE mount for the tests: open /dev/fuse, mount it on a directory
# and never answer a request (not even the first, INIT), so every request
# sent to it waits. Prints "mounted" once the mount exists, then sleeps
# holding the device open; when the process ends (TERM, KILL), the device
# closes and the kernel aborts the connection: whatever waited gets
# ENOTCONN, and the mount can be taken away with umount -l. It also ends
# when the process that started it does.
#
#   fuse-dead.py PATH [TYPE [ROOTMODE]]
# TYPE: fuse (default) or fuse.NAME; ROOTMODE: octal, 40000 (a directory,
# the default) or 100000 (a regular file, mounted on a file).
# Exit 77 when /dev/fuse or mount(2) is not allowed here.
import ctypes
import os
import signal
import sys
import time


def main():
    if len(sys.argv) not in (2, 3, 4):
        print("usage: fuse-dead.py PATH [TYPE [ROOTMODE]]", file=sys.stderr)
        return 2
    target = sys.argv[1]
    fstype = sys.argv[2] if len(sys.argv) > 2 else "fuse"
    rootmode = sys.argv[3] if len(sys.argv) > 3 else "40000"
    try:
        fd = os.open("/dev/fuse", os.O_RDWR)
    except OSError as e:
        print("/dev/fuse: %s" % e.strerror, file=sys.stderr)
        return 77
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                           ctypes.c_ulong, ctypes.c_char_p]
    options = "fd=%d,rootmode=%s,user_id=0,group_id=0" % (fd, rootmode)
    if libc.mount(b"custody-dead", target.encode(), fstype.encode(), 0,
                  options.encode()) != 0:
        print("mount %s: %s" % (target, os.strerror(ctypes.get_errno())),
              file=sys.stderr)
        return 77
    # End with the process that started it (PR_SET_PDEATHSIG, SIGKILL).
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    print("mounted", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main())
