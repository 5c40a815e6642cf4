// `tsfwd topo up|down|show|check NAME [--spec FILE] [--prefix P]`: veth/netns
// topologies from a preset or a JSON/YAML spec file. Namespaces are named
// `<prefix>-<ns>`; the prefix defaults to `tsfwd-<NAME>`.
import { UsageError } from '../eal/corelist';
import { quote } from '../eal/quote';
import { PRESETS, TopoSpec } from '../topo/spec';
import { CheckOptions, formatLink, linkOk, topoCheck } from '../topo/check';
import { loadSpecFile } from '../topo/spec-file';
import { topoDown, topoShow, topoUp } from '../topo/topo';
import { Args } from './args';
import type { Usage } from './usage';

/** `tsfwd topo --help`: one line per option runTopo accepts (test/cli-help.test.ts checks). */
export const TOPO_USAGE: Usage = {
  synopsis: ['tsfwd topo up|down|show NAME [--spec FILE] [--prefix P]', 'tsfwd topo check NAME [--prefix P] [--count N] [--timeout MS]'],
  summary: 'veth/netns topologies: build, remove, show, ping-check (root)',
  about: `Network namespaces joined by veth pairs, from a preset (${Object.keys(PRESETS).join(', ')}) or a JSON/YAML spec ` +
    'file; namespaces are named <prefix>-<ns>. up builds (offloads are set without the ethtool program), down removes, ' +
    'also after a crash, show lists interfaces, check sends ICMP echo across each link whose two ends have an address ' +
    '(exit 1 if a reply is missing). Needs root.',
  sections: [{
    title: 'Options', options: [
      ['--spec FILE', 'build from a JSON or YAML spec file instead of a preset'],
      ['--prefix P', 'namespace name prefix (default tsfwd-NAME)'],
      ['--count N', 'check: echo requests per link, 1..1000'],
      ['--timeout MS', 'check: wait per reply, 1..60000 ms'],
      ['-h, --help', 'this usage'],
    ],
  }],
  examples: ['tsfwd topo up gen-fwd-sink', 'tsfwd topo check pair --count 3', 'tsfwd topo down gen-fwd-sink'],
};

export function runTopo(argv: string[]): number | Promise<number> {
  const [verb, name, ...rest] = argv;
  if (!verb || !['up', 'down', 'show', 'check'].includes(verb)) throw new UsageError(`topo: expected up, down, show or check, got ${quote(verb ?? '')}`);
  if (!name) throw new UsageError(`topo ${verb}: missing topology name (presets: ${Object.keys(PRESETS).join(', ')})`);
  let specFile: string | undefined;
  let prefix = `tsfwd-${name}`;
  const check: CheckOptions = {};
  const a = new Args(rest);
  for (let o = a.next(); o !== undefined; o = a.next()) {
    if (o === '--spec') specFile = a.value(o);
    else if (o === '--prefix') prefix = a.value(o);
    else if (o === '--count' && verb === 'check') check.count = a.int(o, 1, 1000);
    else if (o === '--timeout' && verb === 'check') check.timeoutMs = a.int(o, 1, 60_000);
    else throw new UsageError(`topo: unknown option ${quote(o)}`);
  }
  if (verb === 'down') {
    const removed = topoDown(prefix);
    console.log(removed.length ? `removed ${removed.join(', ')}` : `nothing to remove for '${prefix}'`);
    return 0;
  }
  if (verb === 'show') {
    process.stdout.write(topoShow(prefix));
    return 0;
  }
  if (verb === 'check') return runCheck(prefix, check);
  let spec: TopoSpec;
  if (specFile) {
    try {
      spec = loadSpecFile(specFile);
    } catch (e) {
      throw new UsageError(`topo: ${(e as Error).message}`);
    }
  } else {
    const preset = PRESETS[name];
    if (!preset) throw new UsageError(`topo: unknown topology ${quote(name)} (presets: ${Object.keys(PRESETS).join(', ')}; or give --spec FILE)`);
    spec = preset;
  }
  topoUp(spec, prefix);
  process.stdout.write(topoShow(prefix));
  return 0;
}

// One line per link, then exit 1 if any checked link lost a reply.
async function runCheck(prefix: string, opts: CheckOptions): Promise<number> {
  const results = await topoCheck(prefix, opts);
  for (const r of results) console.log(formatLink(r));
  const checked = results.filter((r) => r.checked);
  const failed = checked.filter((r) => !linkOk(r)).length;
  console.log(`${checked.length} of ${results.length} links checked, ${failed} failed`);
  return failed ? 1 : 0;
}
