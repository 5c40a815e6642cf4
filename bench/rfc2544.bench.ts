// `npm run bench -- rfc2544` (root): the same RFC 2544 search (tsfwd rfc2544,
// one process: pktgen on g0 and the sink on s0 through netns= devargs) run
// against each forwarder in gen -> fwd -> sink: tsfwd l2fwd (net_af_packet),
// the Linux bridge and dpdk-testpmd net_af_packet (mac). One comparison table
// (NDR, PDR(0.5%) and latency at 50% of the PDR per frame size) and one chart.
//
//   gen [g0] --- [f0] fwd [f1] --- [s0] sink
//   rfc2544's lcore (pktgen, then sink) on CPU a, the forwarder on CPU b.
//
// --seconds is the search trial's length (default 1 s here; finals last twice
// as long); --runs is ignored: a search is already many trials, one search per
// forwarder.
import type { SizeResult } from '../src/apps/rfc2544/report';
import { BenchOptions, BenchReport } from './options';
import { Forwarder, linuxBridge, testpmd, tsfwdL2fwd } from './contenders';
import { table } from './stats';
import { barChart } from './svg';
import { BIN, BenchNet, Proc } from './traffic';

/** Frame sizes with FCS, as rfc2544 counts them. */
const SIZES = [64, 512, 1518];

/** Trial length: --seconds if given, else 1 s (a search is some thirty trials per size and forwarder). */
const trialS = (o: BenchOptions): number => (o.secondsGiven ? o.seconds : 1);

async function search(net: BenchNet, fwd: Forwarder, o: BenchOptions): Promise<SizeResult[]> {
  const bound = 600;
  let fp: Proc | undefined;
  try {
    fp = await fwd.start(net.fwd, 'f0', 'f1', o.cpus, bound, false);
    const p = new Proc(undefined, [process.execPath, BIN, 'rfc2544', '-l', String(o.cpus[0]),
      '--vdev', `net_af_packet0,iface=g0,netns=${net.gen}`, '--vdev', `net_af_packet1,iface=s0,netns=${net.sink}`, '--',
      '--sizes', SIZES.join(','), '--trial', String(trialS(o)), '--final', String(2 * trialS(o)), '--latency-at', '50', '--stats-json'], bound);
    await p.wait(bound * 1000);
    const last = p.out.trim().split('\n').pop() ?? '';
    if (!last.includes('"msg":"final"')) throw new Error(`rfc2544 gave no final line: ${p.err.trim().split('\n').pop()}`);
    if (fp && !fp.running) throw new Error(`${fwd.name} stopped during the search: ${fp.err.trim().split('\n').pop()}`);
    for (const l of p.err.trim().split('\n')) if (/^ *\d+ B /.test(l)) o.log(`    ${l.trim()}`);
    return (JSON.parse(last) as { results: SizeResult[] }).results;
  } finally {
    await fp?.stop();
    fwd.cleanup?.(net.fwd);
  }
}

export async function rfc2544Bench(o: BenchOptions): Promise<BenchReport> {
  if (process.getuid?.() !== 0) throw new Error('skipped: needs root (network namespaces, AF_PACKET)');
  const fwds = [tsfwdL2fwd('mmap'), linuxBridge(), testpmd('mac')];
  const results = new Map<string, SizeResult[] | string>();
  const net = new BenchNet().start();
  try {
    for (const f of fwds) {
      if (f.skip) { results.set(f.name, f.skip); continue; }
      o.log(`  ${f.name}:`);
      try {
        results.set(f.name, await search(net, f, o));
      } catch (e) {
        results.set(f.name, `failed: ${(e as Error).message}`);
        o.log(`  ${f.name}: failed: ${(e as Error).message}`);
      }
    }
  } finally {
    net.down();
  }
  const k = (pps: number): string => (pps / 1e3).toFixed(1);
  const fig = (r: SizeResult): string => `${k(r.ndr.pps)}${r.ndr.found ? '' : '!'} / ${k(r.pdr.pps)}${r.limitedBy === 'generator' ? '^' : ''} / ` +
    `${r.latency[0] ? `${r.latency[0].p50Us}, ${r.latency[0].p99Us}` : '-'}`;
  const rows = fwds.map((f) => {
    const r = results.get(f.name);
    return [f.name, ...SIZES.map((s) => (typeof r === 'string' || !r ? r ?? '-' : (r.find((x) => x.size === s) ? fig(r.find((x) => x.size === s)!) : '-')))];
  });
  const markdown = [
    `RFC 2544 search (tsfwd rfc2544) through each forwarder in gen -> fwd -> sink on veths: per frame size (FCS counted), ` +
      `NDR kpps / PDR(0.5%) kpps / latency p50, p99 in µs at 50% of the PDR. Trials of ${trialS(o)} s after 0.1 s of warm-up (rfc2544's default), ` +
      `confirmations of ${2 * trialS(o)} s, precision 2%. Generator and sink (one tsfwd process) on CPU ${o.cpus[0]}, forwarder on CPU ${o.cpus[1]}. ` +
      '! = even the lowest rate lost frames; ^ = the generator\'s ceiling, not the forwarder\'s. The full per-trial record is in rfc2544.json.',
    '', table(['forwarder', ...SIZES.map((s) => `${s} B`)], rows),
  ].join('\n');
  const series = fwds.map((f) => {
    const r = results.get(f.name);
    return {
      name: f.name,
      values: SIZES.map((s) => {
        const x = typeof r === 'string' ? undefined : r?.find((y) => y.size === s);
        return x ? { median: x.ndr.pps / 1e3, min: x.ndr.pps / 1e3, max: x.pdr.pps / 1e3 } : undefined;
      }),
    };
  });
  const svg = barChart('RFC 2544 NDR through gen -> fwd -> sink (whisker up to the PDR(0.5%))', 'kpps', SIZES.map((s) => `${s} B`), series);
  return { name: 'rfc2544', markdown, json: { cpus: o.cpus, sizes: SIZES, results: Object.fromEntries(results) }, files: { 'rfc2544.svg': svg } };
}
