// --metrics HOST:PORT: Prometheus text exposition at /metrics, per port,
// per lcore and for the mempool, from a fresh snapshot on every scrape; with a
// Health, /healthz and /readyz beside it (200 "ok", or 503 and one line why).
import * as http from 'node:http';
import type { Health } from '../cli/health';
import { Snapshot } from './snapshot';

function render(s: Snapshot): string {
  const out: string[] = [];
  const metric = (name: string, type: string, help: string, rows: [string, number][]): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of rows) out.push(`${name}{${labels}} ${v}`);
  };
  const pl = (p: { port: number; name: string }): string => `port="${p.port}",name="${p.name}"`;
  metric('tsfwd_port_rx_packets_total', 'counter', 'Frames received by tsfwd on the port.', s.ports.map((p) => [pl(p), p.ipackets]));
  metric('tsfwd_port_tx_packets_total', 'counter', 'Frames sent out of the port.', s.ports.map((p) => [pl(p), p.opackets]));
  metric('tsfwd_port_rx_bytes_total', 'counter', 'Bytes received on the port.', s.ports.map((p) => [pl(p), p.ibytes]));
  metric('tsfwd_port_tx_bytes_total', 'counter', 'Bytes sent out of the port.', s.ports.map((p) => [pl(p), p.obytes]));
  metric('tsfwd_port_forwarded_packets_total', 'counter', 'Frames received on the port that left by its destination port.', s.ports.map((p) => [pl(p), p.forwarded]));
  metric('tsfwd_port_tx_errors_total', 'counter', 'Frames the port\'s driver took on tx but did not send (oerrors), plus errors reported late for sent frames.', s.ports.map((p) => [pl(p), p.oerrors]));
  const reasons = ['txFail', 'txInvalid', 'badFrame', 'ringFull', 'imissed', 'noMbuf', 'ierrors'] as const;
  metric('tsfwd_port_dropped_packets_total', 'counter', 'Frames dropped, by reason.',
    s.ports.flatMap((p) => reasons.map((r): [string, number] => [`${pl(p)},reason="${r}"`, p.dropped[r]])));
  const linked = s.ports.filter((p) => p.link !== undefined);
  if (linked.length > 0) metric('tsfwd_port_link_up', 'gauge', 'Link state of ports that have one (net_memif): 1 up, 0 down.', linked.map((p) => [pl(p), p.link === 'up' ? 1 : 0]));
  const ll = (l: { lcore: number }): string => `lcore="${l.lcore}"`;
  metric('tsfwd_lcore_iterations_total', 'counter', 'Forwarding loop iterations (polls of all its queues).', s.lcores.map((l) => [ll(l), l.polls]));
  metric('tsfwd_lcore_idle_iterations_total', 'counter', 'Iterations in which no rx burst returned a frame (empty polls).', s.lcores.map((l) => [ll(l), l.emptyPolls]));
  metric('tsfwd_lcore_busy_seconds_total', 'counter', 'Time in iterations that handled a frame; rate() of it is the busy share.', s.lcores.map((l) => [ll(l), l.busyUs / 1e6]));
  metric('tsfwd_lcore_sleep_seconds_total', 'counter', 'Time asleep (--poll-mode adaptive naps, interrupt waits).', s.lcores.map((l) => [ll(l), l.sleepUs / 1e6]));
  metric('tsfwd_lcore_sleeps_total', 'counter', 'Naps and waits entered.', s.lcores.map((l) => [ll(l), l.sleeps]));
  out.push('# HELP tsfwd_mempool_mbufs Mbufs in the pool.', '# TYPE tsfwd_mempool_mbufs gauge', `tsfwd_mempool_mbufs ${s.mempool.size}`);
  out.push('# HELP tsfwd_mempool_in_use_mbufs Mbufs not in the pool (in flight or cached).', '# TYPE tsfwd_mempool_in_use_mbufs gauge', `tsfwd_mempool_in_use_mbufs ${s.mempool.inUse}`);
  return `${out.join('\n')}\n`;
}

/** Serves /metrics (and /healthz, /readyz with `health`) on host:port; resolves once listening. */
export function serveMetrics(host: string, port: number, snapshot: () => Snapshot, health?: Health): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const probe = req.method === 'GET' && health ? (req.url === '/healthz' ? health.live : req.url === '/readyz' ? health.ready : undefined) : undefined;
    if (req.method === 'GET' && req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(render(snapshot()));
    } else if (probe) {
      const why = probe.call(health);
      res.writeHead(why === undefined ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(`${why ?? 'ok'}\n`);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(`only ${health ? '/metrics, /healthz and /readyz are' : '/metrics is'} served\n`);
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new Error(`--metrics ${host}:${port}: ${e.code === 'EADDRINUSE' ? 'address in use' : e.message}`)));
    server.listen(port, host, () => resolve(server));
  });
}
