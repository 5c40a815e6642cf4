/* Capability drop for every thread of the process.
 *
 * Credentials are per thread on Linux: capset(2), PR_CAPBSET_DROP and
 * PR_SET_NO_NEW_PRIVS change only the calling thread, and a Node process
 * already runs libuv, V8 and worker threads. So, as libcap's psx does, every
 * thread is made to run the same syscalls from a signal handler.
 *
 * Which signal: an unused real-time signal does not reach every thread. Node's
 * SIGUSR1 inspector watchdog thread blocks every signal glibc lets it block
 * (its SigBlk is fffffffe7ffbfeff: only 9, 19, 32 and 33 are open). glibc keeps
 * SIGSETXID (33) open in every thread because its own setuid(2) broadcast uses
 * it, so this file borrows it: the handler is swapped in with the raw
 * rt_sigaction (glibc's sigaction refuses its internal signals) and put back
 * afterwards. The signal is sent with rt_tgsigqueueinfo and si_code SI_QUEUE;
 * glibc's own handler acts only on SI_TKILL, so a late delivery after the swap
 * back is ignored, and ours passes anything else (a setuid broadcast running
 * meanwhile) to glibc's.
 *
 * The signal interrupts whatever each thread is doing: calls that restart
 * (SA_RESTART, futex waits) are unaffected, but BPF_PROG_RUN returns EINTR
 * after a partial run, so drop before pktgen's xdp-live runners start. */
#include <dirent.h>
#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "shim.h"

#define CAPS_SIG 33            /* glibc SIGSETXID, see above */
#define CAPS_MAGIC 0x74736663  /* si_value of our requests: "tsfc" */
#define CAPS_MAX_TASKS 4096
#define CAPS_WAIT_NS 1000000000L /* a thread that has not answered in 1 s is an error */
#define CAPS_PASSES 8          /* rescans for threads created while we signalled */

/* The kernel's struct sigaction for rt_sigaction on x86_64 and arm64. */
struct caps_ksigaction {
  void (*handler)(int, siginfo_t *, void *);
  unsigned long flags;
  void (*restorer)(void);
  uint64_t mask;
};

/* Request shared with the handler: written before the first signal is sent
 * (the send is a syscall, so the target sees these writes), read-only after. */
static uint32_t keep_lo, keep_hi;
static int last_cap;
static struct caps_ksigaction glibc_act;
/* Threads signalled so far. A0: tids[i] is stored, then ntids published,
 * before thread i is signalled; a handler loads ntids, then the tids below it. */
static pid_t tids[CAPS_MAX_TASKS];
static int ntids;
/* A1: acked[i] = 1 once thread i has run its syscalls; pairs with the load in
 * wait_acks. */
static int acked[CAPS_MAX_TASKS];
/* A2: first failure (-errno) any thread saw; stored before its A1, so loaded
 * after every A1 it is complete. */
static int first_err;

static long sys_capget(struct __user_cap_header_struct *h, struct __user_cap_data_struct *d) {
  return syscall(SYS_capget, h, d);
}

/* The drop in the calling thread: bounding set, no_new_privs, then capset.
 * Order matters: PR_CAPBSET_DROP needs CAP_SETPCAP, which capset may remove.
 * The ambient set needs no call: the kernel trims it to permitted ∩
 * inheritable on capset, and both are now inside `keep`. Async-signal-safe. */
static int drop_self(void) {
  struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct d[2];
  if (sys_capget(&h, d) != 0) return -errno;
  uint32_t keep[2] = { keep_lo, keep_hi };
  /* Without CAP_SETPCAP (a non-root run) the bounding set stays; no_new_privs
   * below still stops an execve from gaining anything outside it. */
  if (d[CAP_TO_INDEX(CAP_SETPCAP)].effective & CAP_TO_MASK(CAP_SETPCAP)) {
    for (int c = 0; c <= last_cap; c++) {
      if (keep[CAP_TO_INDEX(c)] & CAP_TO_MASK(c)) continue;
      if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL) return -errno;
    }
  }
  /* no_new_privs: a root process regains its full bounding set on execve and a
   * setuid binary raises the uid; after the drop neither may happen. */
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -errno;
  for (int i = 0; i < 2; i++) {
    d[i].effective &= keep[i];
    d[i].permitted &= keep[i];
    d[i].inheritable &= keep[i];
  }
  if (syscall(SYS_capset, &h, d) != 0) return -errno;
  return 0;
}

static void on_signal(int sig, siginfo_t *si, void *uc) {
  if (si->si_code != SI_QUEUE || si->si_pid != getpid() || si->si_value.sival_int != CAPS_MAGIC) {
    /* Not ours: glibc's setxid request (SI_TKILL) or a stray; glibc decides. */
    if (glibc_act.handler != NULL && (glibc_act.flags & SA_SIGINFO)) glibc_act.handler(sig, si, uc);
    return;
  }
  int saved = errno;
  int rc = drop_self();
  if (rc < 0) __atomic_compare_exchange_n(&first_err, &(int){0}, rc, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  pid_t self = (pid_t)syscall(SYS_gettid);
  int n = __atomic_load_n(&ntids, __ATOMIC_SEQ_CST); /* A0 */
  for (int i = 0; i < n; i++) {
    if (__atomic_load_n(&tids[i], __ATOMIC_SEQ_CST) == self) {
      __atomic_store_n(&acked[i], 1, __ATOMIC_SEQ_CST); /* A1 */
      break;
    }
  }
  errno = saved;
}

static int read_last_cap(void) {
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
  int v = -1;
  if (f != NULL) {
    if (fscanf(f, "%d", &v) != 1) v = -1;
    fclose(f);
  }
  return v >= 0 && v < 64 ? v : 63;
}

static int seen(pid_t t) {
  for (int i = 0; i < ntids; i++)
    if (tids[i] == t) return 1;
  return 0;
}

/* Waits until threads [from, ntids) answered (A1), for at most CAPS_WAIT_NS.
 * A thread that exited meanwhile (tgkill with signal 0 says ESRCH) is excused:
 * a Node worker may end while we signal. */
static int wait_acks(int from) {
  struct timespec t0, now, nap = { 0, 200000 };
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;) {
    int missing = 0;
    for (int i = from; i < ntids; i++)
      if (!__atomic_load_n(&acked[i], __ATOMIC_SEQ_CST)) missing++;
    if (missing == 0) return 0;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((now.tv_sec - t0.tv_sec) * 1000000000L + (now.tv_nsec - t0.tv_nsec) > CAPS_WAIT_NS) break;
    nanosleep(&nap, NULL);
  }
  for (int i = from; i < ntids; i++)
    if (!__atomic_load_n(&acked[i], __ATOMIC_SEQ_CST) && (syscall(SYS_tgkill, getpid(), tids[i], 0) == 0 || errno != ESRCH))
      return -ETIMEDOUT;
  return 0;
}

/* Signals every thread not yet in tids once and adds it. Returns how many
 * were added (0: none left), or -errno. */
static int signal_pass(pid_t self) {
  DIR *dir = opendir("/proc/self/task");
  if (dir == NULL) return -errno;
  int added = 0;
  struct dirent *e;
  siginfo_t si;
  while ((e = readdir(dir)) != NULL) {
    pid_t t = (pid_t)atoi(e->d_name);
    if (t <= 0 || t == self || seen(t)) continue;
    if (ntids == CAPS_MAX_TASKS) { closedir(dir); return -E2BIG; }
    int i = ntids;
    __atomic_store_n(&tids[i], t, __ATOMIC_SEQ_CST);
    __atomic_store_n(&acked[i], 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&ntids, i + 1, __ATOMIC_SEQ_CST); /* A0: publish before the signal */
    added++;
    memset(&si, 0, sizeof(si));
    si.si_signo = CAPS_SIG;
    si.si_code = SI_QUEUE;
    si.si_pid = getpid();
    si.si_uid = getuid();
    si.si_value.sival_int = CAPS_MAGIC;
    if (syscall(SYS_rt_tgsigqueueinfo, getpid(), t, CAPS_SIG, &si) != 0) {
      if (errno != ESRCH) { closedir(dir); return -errno; }
      __atomic_store_n(&acked[i], 1, __ATOMIC_SEQ_CST); /* it exited: nothing to drop */
    }
  }
  closedir(dir);
  return added;
}

static int drop_all(void) {
  pid_t self = (pid_t)syscall(SYS_gettid);
  /* A thread created by one not yet signalled shows up in a later pass; one
   * created by a thread already done inherits the reduced sets. */
  for (int pass = 0;; pass++) {
    int from = ntids;
    int added = signal_pass(self);
    if (added < 0) return added;
    if (added == 0) break;
    int rc = wait_acks(from);
    if (rc < 0) return rc;
    if (pass == CAPS_PASSES - 1) return -EAGAIN; /* threads keep appearing */
  }
  /* A2: every handler stored its failure before its A1, all A1 seen. */
  int rc = __atomic_load_n(&first_err, __ATOMIC_SEQ_CST);
  return rc < 0 ? rc : drop_self();
}

/* caps_drop(keep_lo, keep_hi) -> 0 | -errno: effective, permitted, inheritable
 * (and so ambient) and bounding sets of every thread become current ∩ keep, and
 * every thread gets no_new_privs. Call from one thread at a time. */
napi_value tsfwd_caps_drop(napi_env env, napi_callback_info info) {
#if defined(__x86_64__) || defined(__aarch64__)
  size_t argc = 2;
  napi_value argv[2];
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || napi_get_value_uint32(env, argv[0], &keep_lo) != napi_ok ||
      napi_get_value_uint32(env, argv[1], &keep_hi) != napi_ok)
    return tsfwd_int(env, -EINVAL);
  /* One drop at a time: the request and counters below are process-wide. */
  static int busy;
  if (__atomic_exchange_n(&busy, 1, __ATOMIC_SEQ_CST)) return tsfwd_int(env, -EBUSY);
  last_cap = read_last_cap();
  ntids = 0;
  first_err = 0;
  struct caps_ksigaction ours;
  int rc = 0;
  if (syscall(SYS_rt_sigaction, CAPS_SIG, NULL, &glibc_act, 8) != 0) rc = -errno;
  ours = glibc_act; /* keeps glibc's SA_RESTORER trampoline and flags */
  ours.handler = on_signal;
  ours.flags |= SA_SIGINFO | SA_RESTART;
  if (rc == 0 && syscall(SYS_rt_sigaction, CAPS_SIG, &ours, NULL, 8) != 0) rc = -errno;
  if (rc == 0) {
    rc = drop_all();
    /* Put glibc's handler back even after a timeout: a late SI_QUEUE delivery
     * is one it ignores. */
    if (syscall(SYS_rt_sigaction, CAPS_SIG, &glibc_act, NULL, 8) != 0 && rc == 0) rc = -errno;
  }
  __atomic_store_n(&busy, 0, __ATOMIC_SEQ_CST);
  return tsfwd_int(env, rc);
#else
  return tsfwd_int(env, -ENOSYS);
#endif
}
