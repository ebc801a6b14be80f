#!/usr/bin/env python3
"""bpf-hold.py COMMAND...: run COMMAND while this process holds an eBPF map
("custody_map", a hash of 4-byte keys and 8-byte values, 16 entries), a
socket-filter program using it ("custody_prog") and a packet socket
(AF_PACKET, ETH_P_ALL), so that a collector can be checked against known
objects. Prints "pid PID" first; exits with COMMAND's status, or 77 when
the kernel refuses the objects."""
import ctypes, os, platform, socket, struct, subprocess, sys

SYS_BPF = {"x86_64": 321, "aarch64": 280}[platform.machine()]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def bpf(command, attr):
    buf = ctypes.create_string_buffer(bytes(attr), len(attr))
    fd = libc.syscall(SYS_BPF, command, buf, len(attr))
    if fd < 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return fd


def map_create():
    attr = bytearray(128)
    struct.pack_into("<IIIII", attr, 0, 1, 4, 8, 16, 0)  # BPF_MAP_TYPE_HASH
    attr[28:28 + 11] = b"custody_map"
    return bpf(0, attr)  # BPF_MAP_CREATE


def prog_load(map_fd):
    insns = struct.pack("<BBhi", 0x18, 0x11, 0, map_fd)  # r1 = map (pseudo fd)
    insns += struct.pack("<BBhi", 0, 0, 0, 0)
    insns += struct.pack("<BBhi", 0xB7, 0, 0, 0)  # r0 = 0
    insns += struct.pack("<BBhi", 0x95, 0, 0, 0)  # exit
    code = ctypes.create_string_buffer(insns, len(insns))
    license = ctypes.create_string_buffer(b"GPL")
    attr = bytearray(128)
    struct.pack_into("<IIQQ", attr, 0, 1, len(insns) // 8,  # SOCKET_FILTER
                     ctypes.addressof(code), ctypes.addressof(license))
    attr[48:48 + 12] = b"custody_prog"
    return bpf(5, attr), code, license  # BPF_PROG_LOAD


try:
    held = [map_create()]
    held.append(prog_load(held[0]))
    held.append(socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                              socket.htons(0x0003)))
except OSError as e:
    print("cannot create the objects: %s" % e, file=sys.stderr)
    sys.exit(77)
print("pid %d" % os.getpid(), flush=True)
sys.exit(subprocess.call(sys.argv[1:]))
