// `tsfwd l2fwd --help` and `tsfwd pipeline --help`: one line per option that
// parseL2fwdOptions (options.ts, beside this file) accepts; add a line with
// each new option (test/cli-help.test.ts checks).
import type { OptionHelp, Usage } from '../../cli/usage';
import { EAL_HELP } from '../../eal/options';

export const L2FWD_APP_HELP: readonly OptionHelp[] = [
  ['-p PORTMASK', 'hex mask of the ports to use, e.g. 0x3 (required)'],
  ['-P', 'promiscuous mode on every port'],
  ['-q N', 'rx queues per lcore, 1..15 (default 1); without --config the queues of every port are spread over -l in order'],
  ['--config="(port,queue,lcore),..."', "which lcore polls which rx queue (l3fwd's syntax); every rx queue must be polled"],
  ['-T PERIOD', 'stats period in seconds, 0..86400 (default 10, 0 = off)'],
  ['--no-mac-updating', 'forward frames unchanged'],
  ['--mac-updating', 'source MAC = output port, destination 02:00:00:00:00:<port> (the default)'],
  ['--portmap="(0,1),(2,3)"', 'explicit port pairs (default: adjacent ports)'],
  ['--burst N', 'rx/tx burst size, 1..512 (default 32)'],
  ['--duration S', 'stop after S seconds (default: run until SIGINT/SIGTERM)'],
  ['--stats-json', 'stats as pino JSON lines on stdout, and a final line'],
  ['--metrics [HOST:]PORT', 'serve Prometheus text at /metrics, and the probes /healthz (200 unless stopping) and /readyz (200 once every lcore runs and every port\'s interface is up, else 503 and why); default host 127.0.0.1, 0.0.0.0:PORT only in a pod (it exposes the counters to the network)'],
  ['--tx-first', 'send one burst out of each port at start (loop topologies)'],
];

export const PIPELINE_APP_HELP: readonly OptionHelp[] = [
  ['--rx-lcores N', 'how many of the -l lcores receive; the rest transmit (default half)'],
  ['--ring-size N', 'slots per ring between rx and tx lcores, a power of two (default 1024)'],
];

const eal = { title: 'EAL options', options: EAL_HELP };

export const L2FWD_USAGE: Usage = {
  synopsis: ['tsfwd l2fwd [EAL options] -- [application options]'],
  summary: 'forward frames port pair to port pair on polling lcores (DPDK\'s examples/l2fwd)',
  about: 'Forwards frames port pair to port pair on busy-polling lcores, as DPDK\'s examples/l2fwd does, ' +
    'printing its port statistics block every -T seconds; every frame is accounted for at exit.',
  sections: [eal, { title: 'Application options (after --)', options: L2FWD_APP_HELP }],
  examples: [
    'tsfwd l2fwd -l 1 --vdev net_af_packet0,iface=f0 --vdev net_af_packet1,iface=f1 -- -p 0x3 -T 2',
    'tsfwd l2fwd -l 0 --vdev net_null0 --vdev net_null1 -- -p 0x3 -q 2 --duration 5 --stats-json',
  ],
};

export const PIPELINE_USAGE: Usage = {
  synopsis: ['tsfwd pipeline [EAL options] -- [application options]'],
  summary: 'rx lcores -> rings -> tx lcores; l2fwd\'s options plus --rx-lcores and --ring-size',
  about: 'l2fwd split over lcores: rx lcores put frames on rings, tx lcores take them off and send; ' +
    'needs at least two lcores.',
  sections: [eal, { title: 'Application options (after --)', options: [...L2FWD_APP_HELP, ...PIPELINE_APP_HELP] }],
  examples: ['tsfwd pipeline -l 0-1 --vdev net_af_packet0,iface=f0 --vdev net_af_packet1,iface=f1 -- -p 0x3 --ring-size 4096'],
};
