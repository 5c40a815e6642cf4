// Which rx queues an lcore may sleep on. Only --poll-mode interrupt blocks on
// them (idler.ts); asking a port for its wake source has a cost on some
// drivers (memif: the peer then writes an eventfd after every tx burst), so
// busy and adaptive lcores do not ask.
import type { PollConfig } from './poll-mode';
import type { Port, RxWake } from '../port/types';

export function rxWakes(poll: PollConfig, ports: readonly Port[], queues: ArrayLike<number>): RxWake[] {
  if (poll.mode !== 'interrupt') return [];
  return ports.map((p, i) => p.rxWake(queues[i]));
}
