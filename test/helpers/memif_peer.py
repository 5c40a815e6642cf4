"""A misbehaving memif peer for tests: speaks another protocol version, or stalls.

  memif_peer.py server PATH   listens, sends HELLO offering only memif 3.0, prints the reply's type
  memif_peer.py client PATH   connects, answers HELLO with INIT for memif 1.0, prints the DISCONNECT reason
  memif_peer.py stall PATH    connects, answers HELLO with a valid INIT (2.0, id 0), then says nothing:
                              prints the reply that ends it (after the ACK) and the seconds it took
Messages are 128 bytes on an AF_UNIX SOCK_SEQPACKET socket (DPDK 22.11 memif.h).
"""
import socket
import struct
import sys
import time

ACK, HELLO, INIT, DISCONNECT = 1, 2, 3, 8


def msg(mtype, body):
    return (struct.pack('<H', mtype) + body).ljust(128, b'\0')


def main():
    role, path = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(10)
    if role == 'server':
        s.bind(path)
        s.listen(1)
        print('listening', flush=True)
        c, _ = s.accept()
        c.settimeout(10)
        # name[32], min_version, max_version, max_region, max_c2s, max_s2c, max_log2
        c.send(msg(HELLO, b'fake'.ljust(32, b'\0') + struct.pack('<HHHHHB', 0x0300, 0x0300, 0, 0, 0, 10)))
        reply = c.recv(128)
        mtype = struct.unpack('<H', reply[:2])[0] if reply else 0
        reason = reply[6:102].split(b'\0')[0].decode() if mtype == DISCONNECT else ''
        print(f'reply {mtype} {reason}', flush=True)
    elif role == 'stall':
        s.connect(path)
        assert struct.unpack('<H', s.recv(128)[:2])[0] == HELLO
        t0 = time.monotonic()
        s.send(msg(INIT, struct.pack('<HIB', 0x0200, 0, 0) + b'\0' * 24 + b'stall'.ljust(32, b'\0')))
        mtype = ACK
        while mtype == ACK:
            reply = s.recv(128)
            mtype = struct.unpack('<H', reply[:2])[0] if reply else 0
        reason = reply[6:102].split(b'\0')[0].decode() if mtype == DISCONNECT else ''
        print(f'reply {mtype} {reason} after {time.monotonic() - t0:.1f} s', flush=True)
    else:
        s.connect(path)
        hello = s.recv(128)
        assert struct.unpack('<H', hello[:2])[0] == HELLO
        # version, id, mode, secret[24], name[32]
        s.send(msg(INIT, struct.pack('<HIB', 0x0100, 0, 0) + b'\0' * 24 + b'fake'.ljust(32, b'\0')))
        reply = s.recv(128)
        mtype = struct.unpack('<H', reply[:2])[0] if reply else 0
        reason = reply[6:102].split(b'\0')[0].decode() if mtype == DISCONNECT else ''
        print(f'reply {mtype} {reason}', flush=True)


main()
