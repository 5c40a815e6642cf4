// `tsfwd topo up|down|show NAME [--spec FILE] [--prefix P]`: veth/netns
// topologies from a preset or a JSON spec file. Namespaces are named
// `<prefix>-<ns>`; the prefix defaults to `tsfwd-<NAME>`.
import * as fs from 'node:fs';
import { UsageError } from '../eal/corelist';
import { PRESETS, TopoSpec, validateSpec } from '../topo/spec';
import { topoDown, topoShow, topoUp } from '../topo/topo';
import { Args } from './args';

export function runTopo(argv: string[]): number {
  const [verb, name, ...rest] = argv;
  if (!verb || !['up', 'down', 'show'].includes(verb)) throw new UsageError(`topo: expected up, down or show, got '${verb ?? ''}'`);
  if (!name) throw new UsageError(`topo ${verb}: missing topology name (presets: ${Object.keys(PRESETS).join(', ')})`);
  let specFile: string | undefined;
  let prefix = `tsfwd-${name}`;
  const a = new Args(rest);
  for (let o = a.next(); o !== undefined; o = a.next()) {
    if (o === '--spec') specFile = a.value(o);
    else if (o === '--prefix') prefix = a.value(o);
    else throw new UsageError(`topo: unknown option '${o}'`);
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
  let spec: TopoSpec;
  if (specFile) {
    let text: string;
    try {
      text = fs.readFileSync(specFile, 'utf8');
    } catch {
      throw new UsageError(`topo: cannot read spec file '${specFile}'`);
    }
    try {
      spec = validateSpec(JSON.parse(text));
    } catch (e) {
      throw new UsageError(`topo: ${specFile}: ${(e as Error).message}`);
    }
  } else {
    const preset = PRESETS[name];
    if (!preset) throw new UsageError(`topo: unknown topology '${name}' (presets: ${Object.keys(PRESETS).join(', ')}; or give --spec FILE)`);
    spec = preset;
  }
  topoUp(spec, prefix);
  process.stdout.write(topoShow(prefix));
  return 0;
}
