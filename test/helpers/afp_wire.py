#!/usr/bin/python3
"""Independent AF_PACKET wire tool for the net_af_packet tests (not tsfwd).

  afp_wire.py send IFACE       frames from stdin, one hex line each, sent as-is;
                               prints the number sent
  afp_wire.py capture IFACE [status]
                               prints "ready", then every frame arriving on IFACE
                               (not leaving it) as a hex line, until stdin closes;
                               VLAN tags the kernel stripped are put back; with
                               "status", each line is "<tp_status> <hex>"
  afp_wire.py udp-echo IP PORT COUNT
                               prints "ready", echoes COUNT datagrams (or stops
                               after 10 s idle), prints how many it echoed
  afp_wire.py udp-ping SRC DST PORT COUNT
                               sends COUNT datagrams of varied sizes in windows
                               of 16, checks each echo; prints "sent echoed bad"
  afp_wire.py udp-gso SRC DST PORT SEG TOTAL
                               one sendmsg of TOTAL bytes with UDP_SEGMENT=SEG
"""
import os
import select
import socket
import struct
import sys

ETH_P_ALL = 3
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_OUTGOING = 4
TP_STATUS_VLAN_VALID = 1 << 4
TP_STATUS_VLAN_TPID_VALID = 1 << 6


def send(iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    s.bind((iface, 0))
    n = 0
    for line in sys.stdin:
        line = line.strip()
        if line:
            s.send(bytes.fromhex(line))
            n += 1
    print(n)


def capture(iface, mode=''):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.bind((iface, ETH_P_ALL))
    print('ready', flush=True)
    while True:
        ready, _, _ = select.select([s, sys.stdin], [], [])
        if s in ready:
            data, anc, _, addr = s.recvmsg(65536, socket.CMSG_SPACE(20))
            if addr[0] != iface or addr[2] == PACKET_OUTGOING:
                continue
            status = 0
            for level, kind, cd in anc:
                if level == SOL_PACKET and kind == PACKET_AUXDATA:
                    status, _, _, _, _, tci, tpid = struct.unpack('IIIHHHH', cd[:20])
                    if status & TP_STATUS_VLAN_VALID:
                        tp = tpid if (status & TP_STATUS_VLAN_TPID_VALID) and tpid else 0x8100
                        data = data[:12] + struct.pack('!HH', tp, tci) + data[12:]
            prefix = '%d ' % status if mode == 'status' else ''
            sys.stdout.write(prefix + data.hex() + '\n')
            sys.stdout.flush()
        elif sys.stdin in ready and not os.read(0, 4096):
            return


SIZES = [1, 2, 3, 17, 100, 333, 512, 999, 1000, 1471, 1472]


def payload(i):
    size = SIZES[i % len(SIZES)]
    body = bytes((i * 7 + k * 13) & 0xff for k in range(size))
    return (struct.pack('!I', i) + body)[:size] if size >= 4 else body


def udp_echo(ip, port, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.bind((ip, int(port)))
    s.settimeout(10)
    print('ready', flush=True)
    n = 0
    try:
        while n < int(count):
            data, peer = s.recvfrom(65536)
            s.sendto(data, peer)
            n += 1
    except socket.timeout:
        pass
    print(n)


def udp_ping(src, dst, port, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.bind((src, 0))
    s.settimeout(2)
    count = int(count)
    sent = echoed = bad = 0
    while sent < count:
        window = [payload(i) for i in range(sent, min(sent + 16, count))]
        for p in window:
            s.sendto(p, (dst, int(port)))
        sent += len(window)
        want = set(window)
        try:
            for _ in window:
                data = s.recv(65536)
                if data in want:
                    echoed += 1
                else:
                    bad += 1
        except socket.timeout:
            break
    print(sent, echoed, bad)


def udp_gso(src, dst, port, seg, total):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.setsockopt(socket.SOL_UDP, 103, int(seg))  # UDP_SEGMENT
    s.sendto(bytes(int(total)), (dst, int(port)))
    print(1)


if __name__ == '__main__':
    cmds = {'send': send, 'capture': capture, 'udp-echo': udp_echo, 'udp-ping': udp_ping, 'udp-gso': udp_gso}
    cmds[sys.argv[1]](*sys.argv[2:])
