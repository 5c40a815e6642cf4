/* Cross-CPU handoff probe for the fwd bench: CPU A writes a 1514-byte frame
 * into one of 32 slots and raises a flag; CPU B copies it out and answers.
 * Prints the median ns per round trip over chunks of 256 round trips.
 * On a VM the host may place the two vCPUs near (a shared cache) or far apart
 * and move them within seconds; every frame a forwarder takes crosses CPUs
 * the same way, so the bench reads this before and after each run.
 * usage: xcpu CPU_A CPU_B MS */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FRAME 1514
#define SLOTS 32
#define CHUNK 256
#define MAX_CHUNKS 100000

static char slots[SLOTS][2048] __attribute__((aligned(64)));
/* The handoff word: 2v+1 = frame v is in its slot for B, 2v+2 = B is done
 * with it. Atomic loads keep the spin loops from being hoisted by -O2. */
static long flag __attribute__((aligned(64)));
/* B's pinning result: 0 = not yet, 1 = on CPU B, -1 = cannot run there. */
static int b_state;
static int stop;
static int cpu_b;

static int pin(int cpu) {
  cpu_set_t s;
  CPU_ZERO(&s);
  if (cpu < 0 || cpu >= CPU_SETSIZE) return -1;
  CPU_SET(cpu, &s);
  return pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *reader(void *arg) {
  static char sink[2048];
  (void)arg;
  /* Publishes whether B runs on its CPU; main waits for it (acquire below)
   * before it starts, so a failed pin ends the probe at once. */
  __atomic_store_n(&b_state, pin(cpu_b) == 0 ? 1 : -1, __ATOMIC_RELEASE);
  for (long v = 0;; v++) {
    /* Observes A's release of frame v: its bytes are in the slot. */
    while (__atomic_load_n(&flag, __ATOMIC_ACQUIRE) != 2 * v + 1)
      if (__atomic_load_n(&stop, __ATOMIC_RELAXED)) return NULL; /* pairs with the store after A's last chunk */
    memcpy(sink, slots[v % SLOTS], FRAME);
    __asm__ volatile("" : : "r"(sink) : "memory");
    /* Publishes "done with slot v"; pairs with A's acquire, so A never
     * rewrites a slot B is still reading. */
    __atomic_store_n(&flag, 2 * v + 2, __ATOMIC_RELEASE);
  }
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc != 4) { fprintf(stderr, "usage: xcpu CPU_A CPU_B MS\n"); return 2; }
  int cpu_a = atoi(argv[1]);
  cpu_b = atoi(argv[2]);
  double secs = atof(argv[3]) / 1000.0;
  pthread_t t;
  if (pthread_create(&t, NULL, reader, NULL) != 0) { fprintf(stderr, "xcpu: no thread\n"); return 1; }
  int b;
  /* Observes the reader's release of its pinning result. */
  while ((b = __atomic_load_n(&b_state, __ATOMIC_ACQUIRE)) == 0) sched_yield();
  if (b < 0) { fprintf(stderr, "xcpu: cannot run on CPU %d\n", cpu_b); return 1; }
  if (pin(cpu_a) != 0) { fprintf(stderr, "xcpu: cannot run on CPU %d\n", cpu_a); return 1; }
  static double chunk_ns[MAX_CHUNKS];
  int n = 0;
  long v = 0;
  double end = now() + secs;
  while (n < MAX_CHUNKS && (n == 0 || now() < end)) {
    double t0 = now();
    for (int k = 0; k < CHUNK; k++, v++) {
      memset(slots[v % SLOTS], (int)v, FRAME);
      /* Publishes frame v's bytes; pairs with the reader's acquire. */
      __atomic_store_n(&flag, 2 * v + 1, __ATOMIC_RELEASE);
      /* Observes the reader's "done with slot v" release. */
      while (__atomic_load_n(&flag, __ATOMIC_ACQUIRE) != 2 * v + 2) ;
    }
    chunk_ns[n++] = (now() - t0) * 1e9 / CHUNK;
  }
  /* Ends the reader's wait for a frame that never comes (its relaxed load). */
  __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
  pthread_join(t, NULL);
  qsort(chunk_ns, (size_t)n, sizeof chunk_ns[0], cmp);
  printf("%.0f\n", chunk_ns[n / 2]);
  return 0;
}
