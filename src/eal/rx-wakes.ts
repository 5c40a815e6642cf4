// Which rx queues can end an lcore's sleep: --poll-mode interrupt blocks on
// them, adaptive ends a nap early when one has frames (DPDK l3fwd-power's
// "back to polling at the first packet", without sleeping through a full nap
// while a ring fills). Busy lcores never sleep and do not ask: asking has a
// cost on some drivers (memif: the peer then writes an eventfd after every tx
// burst, so memif answers a nap's request with null).
import type { PollConfig } from './poll-mode';
import type { Port, RxWake } from '../port/types';

export function rxWakes(poll: PollConfig, ports: readonly Port[], queues: ArrayLike<number>): RxWake[] {
  if (poll.mode === 'busy') return [];
  return ports.map((p, i) => p.rxWake(queues[i], poll.mode === 'adaptive'));
}
