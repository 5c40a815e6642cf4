// `tsfwd` command line: dispatches subcommands and turns every failure into one
// line on stderr and a non-zero exit (2 for usage errors).
import { UsageError } from '../eal/corelist';
import { runDemo } from './demo';

const HELP = `Usage: tsfwd <command> [options]

Commands:
  demo [-l CORELIST] [--duration S] [--burst N]
        two pinned lcores move mbufs through a shared ring (mempool + ring +
        lcores, no kernel), printing rates every second
  bench <ring|mempool> [--runs N] [--seconds S]
        microbenchmarks (median of N runs), compared with DPDK's
        ring_perf_autotest when dpdk-test is installed
  help  this text

Options:
  -h, --help       this text
  -V, --version    print the version
`;

export async function main(argv: string[]): Promise<void> {
  try {
    const cmd = argv[0];
    const rest = argv.slice(1);
    switch (cmd) {
      case undefined:
      case 'help':
      case '-h':
      case '--help':
        process.stdout.write(HELP);
        return;
      case '-V':
      case '--version':
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        process.stdout.write(`${(require('../../../package.json') as { version: string }).version}\n`);
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
