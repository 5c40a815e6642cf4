// `tsfwd` command line: dispatches subcommands and turns every failure into one
// line on stderr and a non-zero exit (2 for usage errors).
import { UsageError } from '../eal/corelist';
import { L2FWD_USAGE, PIPELINE_USAGE } from '../apps/l2fwd/usage';
import { DEMO_USAGE, runDemo } from './demo';
import { runForwarder } from './forward';
import { TOPO_USAGE, runTopo } from './topo';
import { PKTGEN_USAGE, runPktgen } from './pktgen';
import { SINK_USAGE, runSink } from './sink';
import { RFC2544_USAGE } from '../apps/rfc2544/options';
import { runRfc2544 } from '../apps/rfc2544/run';
import { Usage, formatUsage, wantsHelp } from './usage';

/** Each command's usage, kept beside its parser; bench's is loaded only when asked for. */
const USAGES: Record<string, () => Usage> = {
  l2fwd: () => L2FWD_USAGE,
  pipeline: () => PIPELINE_USAGE,
  pktgen: () => PKTGEN_USAGE,
  sink: () => SINK_USAGE,
  rfc2544: () => RFC2544_USAGE,
  topo: () => TOPO_USAGE,
  demo: () => DEMO_USAGE,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  bench: () => (require('../../bench/run') as { BENCH_USAGE: Usage }).BENCH_USAGE,
};

/** `tsfwd --help`: every command's synopsis and summary. */
function overview(): string {
  const out = ['Usage: tsfwd <command> [options]', '', 'Commands:'];
  for (const get of Object.values(USAGES)) {
    const u = get();
    for (const syn of u.synopsis) out.push(`  ${syn.replace(/^tsfwd /, '')}`);
    out.push(`        ${u.summary}`);
  }
  out.push('  help [COMMAND]', '        this text, or a command\'s usage', '',
    "Run 'tsfwd <command> --help' for a command's options and examples.", '',
    'Options:', '  -h, --help       this text', '  -V, --version    print the version', '');
  return out.join('\n');
}

export async function main(argv: string[]): Promise<void> {
  try {
    const cmd = argv[0];
    const rest = argv.slice(1);
    // -h/--help anywhere after a command, EAL part or application part: its usage, exit 0.
    if (cmd !== undefined && Object.hasOwn(USAGES, cmd) && wantsHelp(rest)) {
      process.stdout.write(formatUsage(USAGES[cmd]()));
      return;
    }
    switch (cmd) {
      case 'help':
        if (rest[0] !== undefined) {
          if (!Object.hasOwn(USAGES, rest[0])) throw new UsageError(`help: unknown command '${rest[0]}' (commands: ${Object.keys(USAGES).join(', ')})`);
          process.stdout.write(formatUsage(USAGES[rest[0]]()));
          return;
        }
        process.stdout.write(overview());
        return;
      case undefined:
      case '-h':
      case '--help':
        process.stdout.write(overview());
        return;
      case '-V':
      case '--version':
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        process.stdout.write(`${(require('../../../package.json') as { version: string }).version}\n`);
        return;
      case 'l2fwd':
      case 'pipeline':
        process.exitCode = await runForwarder(rest, cmd);
        return;
      case 'pktgen':
        process.exitCode = await runPktgen(rest);
        return;
      case 'sink':
        process.exitCode = await runSink(rest);
        return;
      case 'rfc2544':
        process.exitCode = await runRfc2544(rest);
        return;
      case 'topo':
        process.exitCode = await runTopo(rest);
        return;
      case 'demo':
        process.exitCode = await runDemo(rest);
        return;
      case 'bench': {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const bench = require('../../bench/run') as { runBench(argv: string[]): Promise<number> };
        process.exitCode = await bench.runBench(rest);
        return;
      }
      default:
        throw new UsageError(`unknown command '${cmd}' (try 'tsfwd --help')`);
    }
  } catch (e) {
    const err = e as Error;
    process.stderr.write(`tsfwd: ${err.message}\n`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  }
}
