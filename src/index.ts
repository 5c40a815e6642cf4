// Public API of tsfwd.
export { Ring } from './ring/ring';
export type { RingCreateOptions } from './ring/ring';
export { RING_F_SP_ENQ, RING_F_SC_DEQ } from './ring/layout';
export { relax, backoff, SPIN_LIMIT } from './ring/relax';
export { Mempool, NO_LCORE } from './mempool/mempool';
export type { MempoolOptions } from './mempool/mempool';
export {
  MBUF_META_WORDS, MBUF_DATA_OFF, MBUF_DATA_LEN, MBUF_PORT, MBUF_FLAGS, MBUF_TS_LO, MBUF_TS_HI, MBUF_USER,
} from './mempool/layout';
export { LcoreGroup, LcoreError } from './eal/launch';
export type { LaunchOptions, LcoreResult } from './eal/launch';
export { stopped } from './eal/app';
export type { LcoreContext, LcoreFunction, AppRef } from './eal/app';
export { parseCoreList, parseCoreMask, formatCoreList, UsageError } from './eal/corelist';
export { autoLcores, cgroupCpuset, intersectLcores } from './eal/auto-lcores';
export { RunHealth } from './cli/health';
export type { Health } from './cli/health';
export { waitForInterfaces } from './cli/port-wait';
export { setAffinity, getAffinity, currentCpu } from './native';
export { dropCapabilities, dropAfterOpen, capsNeededAfterOpen, bpfFdCallCap, readCaps, CAP_NAMES, ANALYSED_DRIVERS } from './eal/privileges';
export type { CapName, CapNeed, CapSets, PrivCommand } from './eal/privileges';
export type { Port, PortStats, PortHandle, PortDriver, OpenContext } from './port/types';
export { PortError } from './port/types';
export { openPort, attachPort, portHandle, driverNames, checkDevargs } from './port/registry';
export { parseDevargs } from './port/devargs';
export { withNetns } from './topo/netns';
export { getOffloads, setOffloads, OFFLOAD_ALIASES } from './topo/offload';
export { makePlan, assignTxQueues, MAX_RX_QUEUE_PER_LCORE } from './apps/l2fwd/plan';
export type { Plan, RxQueue, ConfigTuple } from './apps/l2fwd/plan';
export { RateSearch } from './apps/rfc2544/search';
export type { SearchOptions, TrialRecord, TargetResult, NextTrial } from './apps/rfc2544/search';
export { runTrial } from './apps/rfc2544/trial';
export type { TrialSetup, TrialResult } from './apps/rfc2544/trial';
export { parseRfc2544Options, lineRatePps, RFC2544_SIZES } from './apps/rfc2544/options';
