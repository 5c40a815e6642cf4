// pktgen-dpdk's command language, the subset tsfwd runs (-f FILE.pkt):
//   set <ports> size|rate|count|burst|sport|dport|ttl N   (rate: % of line rate)
//   set <ports> src|dst mac V        set <ports> src|dst ip V[/mask]
//   set <ports> proto udp
//   range <ports> src|dst ip|port|mac start|min|max|inc V
//   range <ports> size start|min|max|inc N
//   enable|disable <ports> range|latency
//   start|stop <ports>   str   stp   delay MS   clr   quit   # comment
// <ports> is N, N-M, N,M or all. Every line is checked before anything runs;
// an unknown command fails with its line number.

import { quote } from '../../eal/quote';

export type Cmd =
  | { op: 'set'; ports: number[]; key: string; value: string }
  | { op: 'range'; ports: number[]; field: string; kind: string; bound: string; value: string }
  | { op: 'enable' | 'disable'; ports: number[]; what: 'range' | 'latency' }
  | { op: 'start' | 'stop'; ports: number[] }
  | { op: 'delay'; ms: number }
  | { op: 'clr' | 'quit' };

export interface Line { n: number; cmd: Cmd }

export class ScriptError extends Error {}

function ports(spec: string, nPorts: number, line: number): number[] {
  if (spec === 'all') return Array.from({ length: nPorts }, (_, i) => i);
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(spec)) throw new ScriptError(`line ${line}: bad port list ${quote(spec)}`);
  const out = new Set<number>();
  for (const part of spec.split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (b < a) throw new ScriptError(`line ${line}: bad port range ${quote(part)} (high end first)`);
    for (let p = a; p <= (b ?? a); p++) {
      if (p >= nPorts) throw new ScriptError(`line ${line}: port ${p} does not exist (${nPorts} port${nPorts === 1 ? '' : 's'})`);
      out.add(p);
    }
  }
  return [...out];
}

const SET_NUM = new Set(['size', 'rate', 'count', 'burst', 'sport', 'dport', 'ttl']);

export function parseScript(text: string, nPorts: number): Line[] {
  const out: Line[] = [];
  text.split('\n').forEach((raw, i) => {
    const n = i + 1;
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const w = line.split(/\s+/);
    const need = (k: number): void => { if (w.length !== k) throw new ScriptError(`line ${n}: ${quote(line)}: expected ${k - 1} arguments after ${quote(w[0])}`); };
    const num = (v: string): string => {
      if (!/^\d+(\.\d+)?$/.test(v)) throw new ScriptError(`line ${n}: ${quote(v)} is not a number`);
      // 400 digits read as Infinity: a delay that never ends, a count that never stops.
      if (Number(v) > Number.MAX_SAFE_INTEGER) throw new ScriptError(`line ${n}: ${quote(v)} is too large`);
      return v;
    };
    switch (w[0]) {
      case 'set':
        if (w.length === 4 && SET_NUM.has(w[2])) out.push({ n, cmd: { op: 'set', ports: ports(w[1], nPorts, n), key: w[2], value: num(w[3]) } });
        else if (w.length === 5 && (w[2] === 'src' || w[2] === 'dst') && (w[3] === 'mac' || w[3] === 'ip')) {
          out.push({ n, cmd: { op: 'set', ports: ports(w[1], nPorts, n), key: `${w[2]} ${w[3]}`, value: w[4] } });
        } else if (w.length === 4 && w[2] === 'proto') {
          if (w[3] !== 'udp') throw new ScriptError(`line ${n}: only 'proto udp' is supported, not ${quote(w[3])}`);
        } else throw new ScriptError(`line ${n}: unknown set command ${quote(line)}`);
        return;
      case 'range': {
        const okField = (w.length === 6 && (w[2] === 'src' || w[2] === 'dst') && ['ip', 'port', 'mac'].includes(w[3])) ||
          (w.length === 5 && w[2] === 'size');
        const bound = w.length === 6 ? w[4] : w[3];
        if (!okField || !['start', 'min', 'max', 'inc'].includes(bound)) throw new ScriptError(`line ${n}: unknown range command ${quote(line)}`);
        const field = w[2] === 'size' ? 'size' : w[2];
        const kind = w[2] === 'size' ? 'size' : w[3];
        out.push({ n, cmd: { op: 'range', ports: ports(w[1], nPorts, n), field, kind, bound, value: w[w.length - 1] } });
        return;
      }
      case 'enable':
      case 'disable':
        need(3);
        if (w[2] !== 'range' && w[2] !== 'latency') throw new ScriptError(`line ${n}: can ${w[0]} 'range' or 'latency', not ${quote(w[2])}`);
        out.push({ n, cmd: { op: w[0], ports: ports(w[1], nPorts, n), what: w[2] } });
        return;
      case 'start':
      case 'stop':
        need(2);
        out.push({ n, cmd: { op: w[0], ports: ports(w[1], nPorts, n) } });
        return;
      case 'str':
      case 'stp':
        need(1);
        out.push({ n, cmd: { op: w[0] === 'str' ? 'start' : 'stop', ports: ports('all', nPorts, n) } });
        return;
      case 'delay':
        need(2);
        out.push({ n, cmd: { op: 'delay', ms: Number(num(w[1])) } });
        return;
      case 'clr':
      case 'quit':
        need(1);
        out.push({ n, cmd: { op: w[0] } });
        return;
      default:
        throw new ScriptError(`line ${n}: unknown command ${quote(w[0])}`);
    }
  });
  return out;
}
