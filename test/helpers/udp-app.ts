// lcore app for the net_udp tests: attaches a port from its handle and sends
// back what it receives until `n` frames went out or it is told to stop.
import { LcoreContext, stopped } from '../../src/eal/app';
import { Mempool } from '../../src/mempool/mempool';
import { attachPort } from '../../src/port/registry';
import type { PortHandle } from '../../src/port/types';
import { backoff } from '../../src/ring/relax';

export interface EchoConfig { handle: PortHandle; pool: SharedArrayBuffer; n: number }

export function echo(ctx: LcoreContext<EchoConfig>): { rx: number; tx: number } {
  const pool = Mempool.attach(ctx.config.pool);
  const port = attachPort(ctx.config.handle, pool);
  const m = new Uint32Array(32);
  let rx = 0;
  let tx = 0;
  let idle = 0;
  while (!stopped(ctx) && tx < ctx.config.n) {
    const k = port.rxBurst(0, m, 32);
    if (k === 0) { backoff(++idle); continue; }
    idle = 0;
    rx += k;
    const sent = port.txBurst(0, m, k);
    tx += sent;
    if (sent < k) pool.putBulkFrom(m, sent, k - sent); // the caller frees what was not sent
  }
  port.close();
  return { rx, tx };
}
