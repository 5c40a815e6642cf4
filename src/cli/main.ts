// `tsfwd` command line: dispatches subcommands and turns every failure into one
// line on stderr and a non-zero exit (2 for usage errors).
import { UsageError } from '../eal/corelist';
import { runDemo } from './demo';
import { runForwarder } from './forward';
import { runTopo } from './topo';
import { runPktgen } from './pktgen';
import { runSink } from './sink';

const HELP = `Usage: tsfwd <command> [options]

Commands:
  l2fwd [EAL options] -- [application options]
        forward frames port pair to port pair on busy-polling lcores, as DPDK's
        examples/l2fwd does (see below)
  pipeline [EAL options] -- [application options] [--rx-lcores N] [--ring-size N]
        rx lcores -> rings -> tx lcores; same options as l2fwd
  pktgen [EAL options] -- [--size N|MIN-MAX | --imix] [--rate PPS|NMbps|P%]
         [--line-rate 10G] [--count N] [--duration S] [--src-mac M[-M]] [--dst-mac M[-M]]
         [--src-ip A[-B]] [--dst-ip A[-B]] [--sport P[-Q]] [--dport P[-Q]] [--ttl N]
         [--burst N] [-T S] [--stats-json] [-f FILE.pkt] [--pcap FILE] [--engine lcore|xdp-live]
        one UDP stream per port with sequence numbers and send times; sizes
        count the 4-byte FCS (64..1518); -f runs a pktgen-dpdk style script;
        --pcap replays a capture's frames as they are (looping)
        --engine xdp-live: the kernel sends (BPF_PROG_RUN live frames, XDP_TX;
        root, kernel >= 5.18): one net_af_packet port (iface=IF), one fixed
        frame repeated, flat out (no --rate), on the first lcore; a veth
        needs NAPI at its peer (ethtool -K PEER gro on)
  sink [EAL options] -- [--duration S] [--count N] [--idle S] [-T S] [--stats-json]
        count frames, check pktgen's sequence numbers (lost, duplicates,
        reordered) and print a latency summary (min, p50, p99, p99.9, max)
  topo up|down|show NAME [--spec FILE] [--prefix P]
        veth/netns topologies (presets: pair, gen-fwd-sink, loop, vxlan; or a
        JSON/YAML spec file); namespaces are named <prefix>-<ns>, prefix
        tsfwd-NAME by default
  topo check NAME [--prefix P] [--count N] [--timeout MS]
        ICMP echo across each link whose two ends have an address; one line
        per link, exit 1 if any reply is missing
  demo [--duration S] [--rate PPS]
        (npm start; root) builds gen-fwd-sink, runs l2fwd, pktgen and sink for
        a few seconds with live stats, prints the sink's summary, tears down
  demo --core [-l CORELIST] [--duration S] [--burst N]
        no kernel, no root: two pinned lcores move mbufs through a shared ring
  bench [ring|mempool|ports|core|udp|fwd|loop|gc ...] [--runs N] [--seconds S]
        (npm run bench) median, min and max of N runs per case; no scenario
        runs all of them. ring, mempool: micro (with dpdk-test's
        ring_perf_autotest); ports, core: net_null/ring/pcap ceiling, GCs,
        RSS; udp: net_udp; fwd: gen -> fwd -> sink, tsfwd vs Linux bridge vs
        dpdk-testpmd, xdp-live and trafgen generators, 64/512/1514 B; loop:
        --tx-first, tsfwd vs testpmd; gc: 0 GCs under load. fwd, loop, gc and
        udp need root (skipped otherwise); as root, missing comparators are
        installed with apt-get. Writes bench/results/*.md, *.json, *.svg
  help  this text

EAL options:
  -l CORELIST | -c COREMASK   lcores (= CPUs) to run on, e.g. -l 1 or -l 0-1
  --vdev DEVARGS              a port, in DPDK devargs syntax (repeatable; port ids
                              follow the order): net_null0[,size=64][,copy=0|1],
                              net_ring0[,size=1024][,peer=net_ring1]
  --mbufs N                   mempool size (default fits the ports and lcores)
  --no-pci, --no-huge, -m, -n, --file-prefix   accepted and ignored (DPDK compatibility)

l2fwd application options (after --):
  -p PORTMASK        hex mask of ports to use (required)
  -P                 promiscuous mode
  -q N               rx ports per lcore, 1..15 (default 1)
  -T PERIOD          stats period in seconds (default 10, 0 = off)
  --no-mac-updating  forward frames unchanged
  --portmap="(0,1),(2,3)"   explicit port pairs (default: adjacent ports)
  --burst N          burst size (default 32)
  --duration S       stop after S seconds
  --stats-json       stats as pino JSON lines on stdout, and a final line
  --metrics [HOST:]PORT   Prometheus text at /metrics (default host 127.0.0.1)
  --tx-first         send one burst out of each port at start (loop topologies)

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
