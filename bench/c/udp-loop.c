/* Baseline for `npm run bench -- udp`: the same back-to-back forwarding loop
 * as bench/udp-apps.ts in plain C (recvmmsg/sendmmsg on two UDP sockets on
 * 127.0.0.1, plain or VXLAN), so the table can show what the TypeScript
 * port adds over the syscalls alone.
 * usage: udp-loop CPU PORT_A PORT_B SIZE VNI|-1 INFLIGHT BURST SECONDS
 * prints: frames seconds */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define MAXB 64
#define ROOM 2048

static struct sockaddr_in addr(int port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

static int sock(int local, int remote, int connected) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), sz = 2 << 20;
  struct sockaddr_in l = addr(local), r = addr(remote);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
  if (fd < 0 || bind(fd, (void *)&l, sizeof(l)) || (connected && connect(fd, (void *)&r, sizeof(r)))) {
    perror("udp-loop socket");
    exit(1);
  }
  return fd;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static uint8_t buf[MAXB][8 + ROOM], hdr[8] = {0x08};
static struct mmsghdr rx[MAXB], tx[MAXB];
static struct iovec riov[MAXB], tiov[MAXB][2];

/* Receives up to burst from `from`, sends the valid ones out of `to`. */
static int forward(int from, int to, int burst, int vni, struct sockaddr_in *dst) {
  int x = vni >= 0 ? 8 : 0, n = recvmmsg(from, rx, burst, MSG_DONTWAIT, NULL), k = 0;
  for (int i = 0; i < n; i++) {
    if (x && (rx[i].msg_len < 22 || !(buf[i][0] & 8) || memcmp(&buf[i][4], &hdr[4], 3))) continue;
    tiov[k][1].iov_base = buf[i] + x;
    tiov[k][1].iov_len = rx[i].msg_len - x;
    tx[k].msg_hdr.msg_iov = x ? tiov[k] : &tiov[k][1];
    tx[k].msg_hdr.msg_iovlen = x ? 2 : 1;
    tx[k].msg_hdr.msg_name = x ? dst : NULL;
    tx[k].msg_hdr.msg_namelen = x ? sizeof(*dst) : 0;
    k++;
  }
  int s = k > 0 ? sendmmsg(to, tx, k, MSG_DONTWAIT) : 0;
  return s > 0 ? s : 0;
}

int main(int argc, char **argv) {
  if (argc != 9) return fprintf(stderr, "usage: udp-loop CPU PORT_A PORT_B SIZE VNI INFLIGHT BURST SECONDS\n"), 2;
  int cpu = atoi(argv[1]), pa = atoi(argv[2]), pb = atoi(argv[3]), size = atoi(argv[4]), vni = atoi(argv[5]);
  int inflight = atoi(argv[6]), burst = atoi(argv[7]);
  double secs = atof(argv[8]);
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof(set), &set);
  int a = sock(pa, pb, vni < 0), b = sock(pb, pa, vni < 0);
  struct sockaddr_in da = addr(pa), db = addr(pb);
  hdr[4] = vni >> 16, hdr[5] = vni >> 8, hdr[6] = vni;
  for (int i = 0; i < MAXB; i++) {
    riov[i].iov_base = buf[i];
    riov[i].iov_len = sizeof(buf[i]);
    rx[i].msg_hdr.msg_iov = &riov[i];
    rx[i].msg_hdr.msg_iovlen = 1;
    tiov[i][0].iov_base = hdr;
    tiov[i][0].iov_len = 8;
  }
  uint8_t frame[8 + ROOM] = {0};
  memcpy(frame, hdr, 8);
  memset(frame + 8, 0xff, 6);
  struct iovec one = {frame + (vni >= 0 ? 0 : 8), size + (vni >= 0 ? 8 : 0)};
  for (int i = 0; i < inflight; i++) {
    struct msghdr m = {.msg_iov = &one, .msg_iovlen = 1};
    m.msg_name = vni >= 0 ? &db : NULL, m.msg_namelen = vni >= 0 ? sizeof(db) : 0;
    sendmsg(a, &m, MSG_DONTWAIT);
    m.msg_name = vni >= 0 ? &da : NULL;
    sendmsg(b, &m, MSG_DONTWAIT);
  }
  long frames = 0, iter = 0;
  double t0 = now(), t1 = t0;
  while (t1 - t0 < secs) {
    frames += forward(a, b, burst, vni, &da);
    frames += forward(b, a, burst, vni, &db);
    if ((++iter & 0xfff) == 0) t1 = now();
  }
  t1 = now();
  printf("%ld %.6f\n", frames, t1 - t0);
  return 0;
}
