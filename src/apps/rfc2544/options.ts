// `tsfwd rfc2544` application options (after `--`) and its usage table.
// Frame sizes count the 4-byte FCS, as pktgen's --size does.
import { Args } from '../../cli/args';
import type { Usage } from '../../cli/usage';
import { UsageError } from '../../eal/corelist';
import { EAL_HELP } from '../../eal/options';

export const RFC2544_SIZES = [64, 128, 256, 512, 1024, 1280, 1518];
/** RFC 2544's smallest Ethernet frame (pktgen itself goes down to 58). */
export const MIN_SIZE = 64;
export const MAX_SIZE = 1518;

export interface Rfc2544Options {
  txPort: number;
  rxPort: number;
  sizes: number[];
  /** Seconds per search trial, per confirmation trial, of warm-up before each. */
  trial: number;
  final: number;
  warmup: number;
  /** Loss targets, percent: 0 is the NDR, the others PDRs. */
  loss: number[];
  precision: number;
  /** Highest rate: pps, or percent of the line rate when `maxRatePct`. */
  maxRate: number;
  maxRatePct: boolean;
  minRate: number;
  lineRate: number;
  /** Fractions of the PDR (percent) at which latency is measured. */
  latencyAt: number[];
  json: boolean;
  report?: string;
  maxTrials: number;
  maxLagMs: number;
}

const list = (s: string, opt: string): string[] => {
  const parts = s.split(',').map((x) => x.trim());
  if (parts.some((p) => p === '')) throw new UsageError(`rfc2544: ${opt} takes a comma-separated list, got '${s}'`);
  return parts;
};

function percent(s: string, opt: string, max: number): number {
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(s);
  const v = m ? Number(m[1]) : NaN;
  if (!(v >= 0 && v <= max)) throw new UsageError(`rfc2544: ${opt} must be a percentage 0..${max}, got '${s}'`);
  return v;
}

function bits(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([kMG]?)$/.exec(s);
  const v = m ? Number(m[1]) * ({ '': 1, k: 1e3, M: 1e6, G: 1e9 } as Record<string, number>)[m[2]] : NaN;
  if (!(v > 0 && Number.isFinite(v))) throw new UsageError(`rfc2544: bad --line-rate '${s}' (e.g. 10G)`);
  return v;
}

export function parseRfc2544Options(argv: readonly string[]): Rfc2544Options {
  const o: Rfc2544Options = {
    txPort: 0, rxPort: 1, sizes: RFC2544_SIZES, trial: 0.5, final: 2, warmup: 0.1, loss: [0, 0.5], precision: 2,
    maxRate: 100, maxRatePct: true, minRate: 1000, lineRate: 10e9, latencyAt: [10, 50, 90], json: false, maxTrials: 40, maxLagMs: 10,
  };
  const a = new Args(argv);
  for (let k = a.next(); k !== undefined; k = a.next()) {
    switch (k) {
      case '--tx-port': o.txPort = a.int(k, 0, 63); break;
      case '--rx-port': o.rxPort = a.int(k, 0, 63); break;
      case '--sizes': {
        const v = a.value(k);
        o.sizes = list(v, k).map((x) => {
          const n = Number(x);
          if (!/^\d+$/.test(x) || n < MIN_SIZE || n > MAX_SIZE) throw new UsageError(`rfc2544: --sizes: frame size '${x}' must be ${MIN_SIZE}..${MAX_SIZE} (counting the FCS)`);
          return n;
        });
        if (new Set(o.sizes).size !== o.sizes.length) throw new UsageError(`rfc2544: --sizes repeats a size: '${v}'`);
        break;
      }
      case '--trial': o.trial = a.num(k, 0.05, 3600); break;
      case '--final': o.final = a.num(k, 0, 3600); break;
      case '--warmup': o.warmup = a.num(k, 0, 600); break;
      case '--loss': {
        const v = list(a.value(k), k).map((x) => percent(x, '--loss', 100));
        o.loss = [...new Set(v)].sort((x, y) => x - y);
        break;
      }
      case '--precision': {
        o.precision = percent(a.value(k), k, 50);
        if (o.precision < 0.01) throw new UsageError('rfc2544: --precision must be at least 0.01%');
        break;
      }
      case '--max-rate': {
        const v = a.value(k);
        const m = /^(\d+(?:\.\d+)?)(%)?$/.exec(v);
        const n = m ? Number(m[1]) : NaN;
        if (!(n > 0) || (m![2] === '%' && n > 100)) throw new UsageError(`rfc2544: --max-rate must be PPS > 0 or P% of the line rate (0..100], got '${v}'`);
        o.maxRate = n;
        o.maxRatePct = m![2] === '%';
        break;
      }
      case '--min-rate': o.minRate = a.int(k, 1, 1e9); break;
      case '--line-rate': o.lineRate = bits(a.value(k)); break;
      case '--latency-at': o.latencyAt = list(a.value(k), k).map((x) => {
        const p = percent(x, k, 100);
        if (p <= 0) throw new UsageError(`rfc2544: --latency-at: ${x} must be above 0%`);
        return p;
      }); break;
      case '--no-latency': o.latencyAt = []; break;
      case '--max-trials': o.maxTrials = a.int(k, 1, 10000); break;
      case '--max-lag': o.maxLagMs = a.num(k, 0.1, 10000); break;
      case '--stats-json': o.json = true; break;
      case '--report': o.report = a.value(k); break;
      default: throw new UsageError(`rfc2544: unknown application option '${k}'`);
    }
  }
  if (o.txPort === o.rxPort) throw new UsageError(`rfc2544: --tx-port and --rx-port are both ${o.txPort}: the device under test needs one port on each side`);
  return o;
}

/** Frames per second at `pct` of `lineRate` for `size`-byte frames (FCS counted), with 20 bytes of preamble and gap each. */
export function lineRatePps(lineRate: number, size: number, pct = 100): number {
  return ((pct / 100) * lineRate) / (8 * (size + 20));
}

/** `tsfwd rfc2544 --help` (test/cli-help.test.ts checks one line per option). */
export const RFC2544_USAGE: Usage = {
  synopsis: ['tsfwd rfc2544 [EAL options] -- [application options]'],
  summary: 'RFC 2544 throughput (NDR/PDR search) and latency of a device between two ports, pktgen and sink in one process',
  about: 'Sends pktgen frames out of the tx port and counts them with the sink on the rx port, on either side of a device ' +
    'under test (use netns= devargs for ports in other namespaces). Per frame size it searches the highest rate with no loss ' +
    '(NDR) and with at most each --loss ratio (PDR), confirms each with a longer trial, then measures latency at fractions ' +
    'of the PDR. Trials where the generator could not reach the offered rate are reported and not counted. Lcores: the first ' +
    'sends, the second (or the first again) receives.',
  sections: [{ title: 'EAL options', options: EAL_HELP }, {
    title: 'Application options (after --)', options: [
      ['--tx-port P', 'port id that sends (default 0: the first --vdev)'],
      ['--rx-port Q', 'port id that receives (default 1: the second --vdev)'],
      ['--sizes N,N,...', `frame sizes counting the FCS, ${MIN_SIZE}..${MAX_SIZE} (default ${RFC2544_SIZES.join(',')})`],
      ['--trial S', 'seconds per search trial (default 0.5)'],
      ['--final S', 'seconds of the confirmation trial at each found rate (default 2; 0 = none)'],
      ['--warmup S', 'seconds of traffic at the trial rate before each trial, not counted (default 0.1)'],
      ['--loss L,L,...', 'loss targets in percent: 0 is the NDR, the others PDRs (default 0,0.5%)'],
      ['--precision P%', 'a search stops when its bounds are within P% (default 2%); also the generator shortfall that marks a trial generator-limited'],
      ['--max-rate PPS|P%', 'first and highest rate tried, pps or percent of --line-rate (default 100%: the generator finds its own ceiling)'],
      ['--min-rate PPS', 'lowest rate tried (default 1000)'],
      ['--line-rate RATE', 'what 100% means, e.g. 10G (default 10G); 20 bytes of preamble and gap per frame'],
      ['--latency-at P,P,...', 'measure latency at these percentages of the PDR (default 10,50,90)'],
      ['--no-latency', 'skip the latency trials'],
      ['--max-trials N', 'bound on trials per frame size (default 40)'],
      ['--max-lag MS', 'a generator this far behind its schedule at some point (a stall, then a catch-up burst) has stalled: a loss in that trial is retried once (default 10)'],
      ['--stats-json', 'a JSON line per trial and a final {"msg":"final","results":[...]} line on stdout'],
      ['--report DIR', 'write DIR/rfc2544.md (tables) and DIR/rfc2544.svg (throughput by size, latency by load)'],
    ],
  }],
  examples: [
    'tsfwd rfc2544 -l 0 --vdev net_af_packet0,iface=g0,netns=tsfwd-gen-fwd-sink-gen ' +
      '--vdev net_af_packet1,iface=s0,netns=tsfwd-gen-fwd-sink-sink -- --sizes 64,1518',
  ],
};
