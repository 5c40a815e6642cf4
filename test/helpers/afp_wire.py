#!/usr/bin/python3
"""Independent AF_PACKET wire tool for the net_af_packet tests (not tsfwd).

  afp_wire.py send IFACE       frames from stdin, one hex line each, sent as-is;
                               prints the number sent
  afp_wire.py capture IFACE    prints "ready", then every frame arriving on IFACE
                               (not leaving it) as a hex line, until stdin closes;
                               VLAN tags the kernel stripped are put back
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


def capture(iface):
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
            for level, kind, cd in anc:
                if level == SOL_PACKET and kind == PACKET_AUXDATA:
                    status, _, _, _, _, tci, tpid = struct.unpack('IIIHHHH', cd[:20])
                    if status & TP_STATUS_VLAN_VALID:
                        tp = tpid if (status & TP_STATUS_VLAN_TPID_VALID) and tpid else 0x8100
                        data = data[:12] + struct.pack('!HH', tp, tci) + data[12:]
            sys.stdout.write(data.hex() + '\n')
            sys.stdout.flush()
        elif sys.stdin in ready and not os.read(0, 4096):
            return


if __name__ == '__main__':
    {'send': send, 'capture': capture}[sys.argv[1]](sys.argv[2])
