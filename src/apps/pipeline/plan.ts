// The pipeline's half of the plan: which tx lcore drains the ring of each
// destination port, the tx queue it owns there, and each ring's sync flags.
// A ring is single-producer only when one rx lcore feeds it (several rx lcores
// polling queues of the same port all enqueue to its destination's ring), and
// single-consumer because exactly one tx lcore drains it.
import { RING_F_SC_DEQ, RING_F_SP_ENQ } from '../../ring/layout';
import { Plan, assignTxQueues } from '../l2fwd/plan';

export interface PipelinePlan {
  /** Destination ports each tx lcore drains, by position among the tx lcores. */
  txByLcore: number[][];
  /** txQueues[j][port]: tx queue of tx lcore j on the port, -1 if none. */
  txQueues: number[][];
  /** Rx lcores enqueueing to port p's ring (0: p is not a destination). */
  producers: number[];
  /** Ring flags for port p's ring, -1 if it has none. */
  ringFlags: number[];
}

export function pipelinePlan(plan: Plan, nbQueues: readonly number[], txLcores: readonly number[]): PipelinePlan {
  const dests = [...new Set(plan.ports.map((p) => plan.dst[p]))];
  const txByLcore: number[][] = txLcores.map(() => []);
  dests.forEach((d, i) => txByLcore[i % txLcores.length].push(d));
  const txQueues = assignTxQueues(txByLcore, nbQueues, txLcores);
  const producers = nbQueues.map(() => 0);
  for (const rx of plan.rxByLcore) for (const d of new Set(rx.map(([p]) => plan.dst[p]))) producers[d]++;
  const ringFlags = nbQueues.map((_, p) => (dests.includes(p) ? (producers[p] > 1 ? 0 : RING_F_SP_ENQ) | RING_F_SC_DEQ : -1));
  return { txByLcore, txQueues, producers, ringFlags };
}
