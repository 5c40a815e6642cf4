// `npm run bench -- ports`: frames per second moved rx -> tx by one lcore
// (io forwarding, testpmd's "io" mode) for each driver, 64 and 1514 bytes.
// Memory drivers measure the forwarder core; kernel-backed drivers add their
// rows in scenarios of their own that need a namespace topology.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FWD_LINE, FWD_PACKETS, IoFwdConfig } from '../src/apps/io-fwd';
import { LcoreGroup } from '../src/eal/launch';
import { Mempool } from '../src/mempool/mempool';
import { fileHeader } from '../src/port/pcap/pcap-format';
import { openPort, portHandle } from '../src/port/registry';
import type { Port } from '../src/port/types';
import { BenchOptions, BenchReport } from './options';
import { mops, repeat, table } from './stats';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface FwdCase {
  name: string;
  size: number;
  /** Opens the ports; `prime` puts frames in flight for loop cases. */
  open(pool: Mempool): Promise<{ ports: Port[]; streams: [number, number, number, number][]; prime?: () => void; cleanup?: () => void }>;
}

/** One timed run: frames/s forwarded by one lcore, and GCs during its loop. */
export async function runFwd(c: FwdCase, cpu: number, seconds: number): Promise<{ rate: number; gcs: number }> {
  const pool = Mempool.create({ n: 8192 });
  const { ports, streams, prime, cleanup } = await c.open(pool);
  try {
    prime?.();
    const counters = new SharedArrayBuffer(FWD_LINE * 8);
    const cnt = new Float64Array(counters);
    const config: IoFwdConfig = { pool: pool.buffer, ports: ports.map(portHandle), streams: [streams], burst: 32, counters, profileGc: true };
    const group = LcoreGroup.launch({ lcores: [cpu], app: 'io-fwd', config });
    while (group.running() < 1) await sleep(5);
    await sleep(300); // warm-up: JIT and caches
    const a = cnt[FWD_PACKETS];
    const t0 = process.hrtime.bigint();
    await sleep(seconds * 1000);
    const b = cnt[FWD_PACKETS];
    const t1 = process.hrtime.bigint();
    group.stop();
    const [r] = await group.wait();
    return { rate: (b - a) / (Number(t1 - t0) / 1e9), gcs: (r.result as { gcs: number }).gcs };
  } finally {
    for (const p of ports) p.close();
    cleanup?.();
  }
}

function memoryCases(): FwdCase[] {
  const cases: FwdCase[] = [];
  for (const size of [64, 1514]) {
    for (const copy of [0, 1]) {
      cases.push({
        name: `net_null -> net_null${copy ? ' (copy=1)' : ''}`, size,
        async open(pool) {
          const a = await openPort(`net_null_ba,size=${size},copy=${copy}`, { id: 0, pool });
          const b = await openPort(`net_null_bb,size=${size}`, { id: 1, pool });
          return { ports: [a, b], streams: [[0, 0, 1, 0]] };
        },
      });
    }
    cases.push({
      name: 'net_ring loop (512 frames circulating)', size,
      async open(pool) {
        const a = await openPort('net_ring_bench,size=1024', { id: 0, pool });
        const prime = (): void => {
          const m = new Uint32Array(512);
          pool.getBulk(m, 512);
          for (let i = 0; i < 512; i++) pool.setDataLen(m[i], size);
          a.txBurst(0, m, 512);
        };
        return { ports: [a], streams: [[0, 0, 0, 0]], prime };
      },
    });
  }
  return cases;
}

/** A capture of 1024 `size`-byte frames in `dir`, for the pcap cases. */
function captureFile(dir: string, size: number): string {
  const f = path.join(dir, `replay-${size}.pcap`);
  const rec = Buffer.alloc(16 + size);
  const parts: Buffer[] = [Buffer.from(fileHeader(true))];
  for (let i = 0; i < 1024; i++) {
    rec.writeUInt32LE(1700000000, 0);
    rec.writeUInt32LE(i, 4);
    rec.writeUInt32LE(size, 8);
    rec.writeUInt32LE(size, 12);
    rec.fill(i & 0xff, 16);
    parts.push(Buffer.from(rec));
  }
  fs.writeFileSync(f, Buffer.concat(parts));
  return f;
}

/** net_pcap replaying a file (infinite_rx) and writing one in /tmp, against net_null. */
export function pcapCases(dir: string): FwdCase[] {
  const cases: FwdCase[] = [];
  for (const size of [64, 1514]) {
    const rx = (): string => `net_pcap_brx,rx_pcap=${captureFile(dir, size)},infinite_rx=1`;
    const out = path.join(dir, 'tx.pcap');
    const cleanup = (): void => fs.rmSync(out, { force: true });
    cases.push({
      name: 'net_pcap rx (infinite_rx) -> net_null', size,
      async open(pool) {
        const a = await openPort(rx(), { id: 0, pool });
        const b = await openPort('net_null_bb', { id: 1, pool });
        return { ports: [a, b], streams: [[0, 0, 1, 0]] };
      },
    });
    cases.push({
      name: 'net_null -> net_pcap tx (file in /tmp)', size,
      async open(pool) {
        const a = await openPort(`net_null_ba,size=${size}`, { id: 0, pool });
        const b = await openPort(`net_pcap_btx,tx_pcap=${out}`, { id: 1, pool });
        return { ports: [a, b], streams: [[0, 0, 1, 0]], cleanup };
      },
    });
    cases.push({
      name: 'net_pcap rx (infinite_rx) -> net_pcap tx', size,
      async open(pool) {
        const a = await openPort(rx(), { id: 0, pool });
        const b = await openPort(`net_pcap_btx,tx_pcap=${out}`, { id: 1, pool });
        return { ports: [a, b], streams: [[0, 0, 1, 0]], cleanup };
      },
    });
  }
  return cases;
}

export async function portsBench(o: BenchOptions): Promise<BenchReport> {
  const cpu = o.cpus[1];
  const rows: string[][] = [];
  const results: unknown[] = [];
  let gcTotal = 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsfwd-bench-pcap-'));
  for (const c of [...memoryCases(), ...pcapCases(dir)]) {
    const s = await repeat(o.runs, () => runFwd(c, cpu, o.seconds));
    gcTotal += s.gcs;
    results.push({ name: c.name, size: c.size, ...s });
    o.log(`  ${c.name} ${c.size} B: ${mops(s.median)} Mpps`);
    rows.push([c.name, String(c.size), mops(s.median), `${mops(s.min)}-${mops(s.max)}`, String(s.gcs)]);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const md = [
    `Ports: frames/s forwarded rx -> tx by one lcore (CPU ${cpu}), burst 32, Mpps, median of ${o.runs} runs x ${o.seconds}s`,
    '',
    table(['driver', 'bytes', 'median', 'min-max', 'GCs'], rows),
    '',
    `garbage collections during forwarding loops: ${gcTotal}`,
  ].join('\n');
  // The kernel-backed drivers need topologies of their own: net_udp in
  // `bench udp`, net_af_packet in `bench fwd` and `bench loop`.
  const parts = [md, 'Kernel-backed drivers: `npm run bench -- udp` (net_udp), `fwd` and `loop` (net_af_packet).'];
  const json: Record<string, unknown> = { memory: { results, gcs: gcTotal } };
  return { name: 'ports', markdown: parts.join('\n\n'), json };
}
