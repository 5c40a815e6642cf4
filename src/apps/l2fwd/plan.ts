// Who forwards what: the destination of every enabled port, which lcore polls
// which rx queue (l3fwd's --config, or the queues spread over the lcores in
// order, -q per lcore as l2fwd fills them) and which tx queue each lcore uses
// on each port it transmits on. Plain data, so the CLI prints it, lcores run
// it and tests check it. Every rx queue of every enabled port is polled by
// exactly one lcore and no two lcores share a tx queue, or this throws.
import { UsageError } from '../../eal/corelist';

/** [port, queue]. */
export type RxQueue = [number, number];

/** l3fwd's --config tuple: [port, queue, lcore]. */
export type ConfigTuple = [number, number, number];

/** l3fwd's MAX_RX_QUEUE_PER_LCORE. */
export const MAX_RX_QUEUE_PER_LCORE = 16;

export interface Plan {
  /** Enabled port ids, ascending. */
  ports: number[];
  /** dst[p] = the port frames received on p leave by (-1 if p is not enabled). */
  dst: number[];
  /** (port, queue) pairs each lcore polls, by position in the lcore list. */
  rxByLcore: RxQueue[][];
  notices: string[];
}

const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;

/**
 * nbQueues[p]: rx queues of configured port p. lcores: the lcores that
 * receive. Without `config`, every enabled port's queues are taken queue by
 * queue (queue 0 of each port, then queue 1, ...) and packed onto the lcores
 * in order, rxPerLcore each: with single-queue ports this is l2fwd's layout,
 * and with N queues per port each lcore gets its own queue of every port.
 */
export function makePlan(nbQueues: readonly number[], portmask: number, lcores: readonly number[], rxPerLcore: number,
  portmap?: readonly [number, number][], config?: readonly ConfigTuple[]): Plan {
  const nbPorts = nbQueues.length;
  const notices: string[] = [];
  const ports: number[] = [];
  for (let p = 0; p < 32; p++) {
    if (((portmask >>> p) & 1) === 0) continue;
    if (p >= nbPorts) throw new UsageError(`portmask 0x${portmask.toString(16)} names port ${p}, but only ${nbPorts} port${nbPorts === 1 ? '' : 's'} (${nbPorts ? `0..${nbPorts - 1}` : 'none'}) ${nbPorts === 1 ? 'is' : 'are'} configured with --vdev`);
    ports.push(p);
  }
  const dst = new Array<number>(nbPorts).fill(-1);
  if (portmap) {
    const used = new Set<number>();
    for (const [a, b] of portmap) {
      for (const p of [a, b]) {
        if (!ports.includes(p)) throw new UsageError(`portmap names port ${p}, which is not in portmask 0x${portmask.toString(16)}`);
        if (used.has(p)) throw new UsageError(`portmap uses port ${p} more than once`);
        used.add(p);
      }
      dst[a] = b;
      dst[b] = a;
    }
    for (const p of ports) if (dst[p] < 0) throw new UsageError(`port ${p} is in the portmask but not in the portmap`);
  } else {
    for (let i = 0; i + 1 < ports.length; i += 2) {
      dst[ports[i]] = ports[i + 1];
      dst[ports[i + 1]] = ports[i];
    }
    if (ports.length % 2 === 1) {
      const last = ports[ports.length - 1];
      dst[last] = last;
      notices.push('Notice: odd number of ports in portmask.');
    }
  }
  const rxByLcore = config ? fromConfig(config, nbQueues, ports, portmask, lcores) : spreadQueues(nbQueues, ports, lcores, rxPerLcore);
  return { ports, dst, rxByLcore, notices };
}

function spreadQueues(nbQueues: readonly number[], ports: readonly number[], lcores: readonly number[], rxPerLcore: number): RxQueue[][] {
  const order: RxQueue[] = [];
  const maxQ = Math.max(0, ...ports.map((p) => nbQueues[p]));
  for (let q = 0; q < maxQ; q++) for (const p of ports) if (q < nbQueues[p]) order.push([p, q]);
  const rxByLcore: RxQueue[][] = lcores.map(() => []);
  let l = 0;
  for (const pq of order) {
    while (l < lcores.length && rxByLcore[l].length === rxPerLcore) l++;
    if (l === lcores.length) {
      const what = order.length === ports.length ? plural(ports.length, 'port') : `${plural(order.length, 'rx queue')} of ${plural(ports.length, 'port')}`;
      throw new UsageError(`not enough cores: ${what} at ${rxPerLcore} per lcore need ${Math.ceil(order.length / rxPerLcore)} lcores, -l gives ${lcores.length}`);
    }
    rxByLcore[l].push(pq);
  }
  return rxByLcore;
}

function fromConfig(config: readonly ConfigTuple[], nbQueues: readonly number[], ports: readonly number[], portmask: number,
  lcores: readonly number[]): RxQueue[][] {
  const rxByLcore: RxQueue[][] = lcores.map(() => []);
  const seen = new Set<string>();
  for (const [p, q, l] of config) {
    if (!ports.includes(p)) throw new UsageError(`--config names port ${p}, which is not in portmask 0x${portmask.toString(16)}`);
    if (q >= nbQueues[p]) throw new UsageError(`--config names port ${p} queue ${q}, but port ${p} has ${plural(nbQueues[p], 'rx queue')} (0..${nbQueues[p] - 1})`);
    const i = lcores.indexOf(l);
    if (i < 0) throw new UsageError(`--config names lcore ${l}, which is not a receiving lcore (${lcores.join(',')})`);
    if (seen.has(`${p}/${q}`)) throw new UsageError(`--config lists port ${p} queue ${q} more than once`);
    seen.add(`${p}/${q}`);
    if (rxByLcore[i].length === MAX_RX_QUEUE_PER_LCORE) throw new UsageError(`--config gives lcore ${l} more than ${MAX_RX_QUEUE_PER_LCORE} rx queues`);
    rxByLcore[i].push([p, q]);
  }
  for (const p of ports) {
    for (let q = 0; q < nbQueues[p]; q++) {
      if (!seen.has(`${p}/${q}`)) throw new UsageError(`--config leaves port ${p} queue ${q} unpolled (every rx queue of an enabled port needs an lcore, or its frames are lost)`);
    }
  }
  return rxByLcore;
}

/**
 * Tx queue of every (lcore, port): txPortsByLcore[i] = ports lcore i sends on.
 * The k-th lcore (in list order) transmitting on port d gets queue k, so no
 * two lcores share a tx queue (DPDK needs nb_tx_queue >= lcores as well).
 * Returns txq[i][d], -1 where lcore i does not send on d.
 */
export function assignTxQueues(txPortsByLcore: readonly (readonly number[])[], nbQueues: readonly number[], lcores: readonly number[]): number[][] {
  const next = new Array<number>(nbQueues.length).fill(0);
  const txq = txPortsByLcore.map(() => new Array<number>(nbQueues.length).fill(-1));
  txPortsByLcore.forEach((dsts, i) => {
    for (const d of new Set(dsts)) txq[i][d] = next[d]++;
  });
  for (let d = 0; d < nbQueues.length; d++) {
    if (next[d] <= nbQueues[d]) continue;
    const who = lcores.filter((_, i) => txq[i][d] >= 0);
    throw new UsageError(`port ${d} has ${plural(nbQueues[d], 'tx queue')} but ${who.length} lcores (${who.join(',')}) transmit on it: give it more queues (qpairs/queue_count) or use fewer lcores`);
  }
  return txq;
}

/** The ports lcore i transmits on in l2fwd: the destinations of its rx queues. */
export function l2fwdTxPorts(plan: Plan): number[][] {
  return plan.rxByLcore.map((rx) => [...new Set(rx.map(([p]) => plan.dst[p]))]);
}
