// What `tsfwd rfc2544` prints at the end, and --report's markdown and SVG
// (throughput by frame size as grouped bars, latency by load as lines), drawn
// by hand in the style of bench/svg.ts so nothing needs a plotting library.
import { rate as fmtRate } from '../../cli/ports';
import type { Rfc2544Options } from './options';

export interface RateFigure {
  pps: number; mbps: number; lossPct: number; lossTarget: number; linePct: number; found: boolean; confirmed: boolean;
  limitedBy: 'device' | 'generator' | 'max-rate';
}

export interface LatencyFigure {
  loadPct: number; pps: number; lossPct: number; limited: boolean;
  samples: number; minUs: number; p50Us: number; p99Us: number; p999Us: number; maxUs: number;
}

export interface SizeResult {
  size: number;
  ndr: RateFigure;
  /** The highest loss target's result (the NDR again when --loss is 0 alone). */
  pdr: RateFigure;
  pdrs: RateFigure[];
  latency: LatencyFigure[];
  limitedBy: RateFigure['limitedBy'];
  trials: number;
  generatorLimitedTrials: number;
  /** The generator's ceiling, pps, when trials were generator-limited. */
  generatorCeiling?: number;
}

/** "123.4k", with a mark: ! nothing met the target (lowest rate tried), ? not confirmed by a final trial, ^ limited by the generator. */
function cell(f: RateFigure): string {
  const mark = !f.found ? '!' : f.limitedBy === 'generator' ? '^' : !f.confirmed ? '?' : '';
  return `${fmtRate(f.pps)}${mark}`;
}

const row = (cols: (string | number)[], widths: number[]): string => cols.map((c, i) => String(c).padStart(widths[i])).join('  ');

export function finalTable(results: SizeResult[], _lineRate: number): string[] {
  if (results.length === 0) return ['rfc2544: no frame size finished'];
  const pdrName = results[0].pdr.lossTarget === 0 ? 'NDR' : `PDR(${results[0].pdr.lossTarget}%)`;
  const w = [5, 10, 10, 8, 13, 10, 8, 8, 10];
  const out = ['', row(['size', 'NDR pps', 'NDR Mbit/s', 'NDR %lr', `${pdrName} pps`, 'Mbit/s', '%lr', 'loss %', 'limited by'], w)];
  for (const r of results) {
    out.push(row([r.size, cell(r.ndr), r.ndr.mbps.toFixed(1), r.ndr.linePct.toFixed(2), cell(r.pdr), r.pdr.mbps.toFixed(1),
      r.pdr.linePct.toFixed(2), r.pdr.lossPct.toFixed(3), r.limitedBy], w));
  }
  out.push('(%lr: percent of --line-rate; ! nothing met the target, lowest rate tried shown; ? not confirmed by a final trial; ^ the generator\'s ceiling)');
  if (results.some((r) => r.latency.length > 0)) {
    out.push('', `latency in us at a fraction of the ${pdrName}:`);
    const lw = [5, 6, 9, 8, 8, 8, 8, 9];
    out.push(row(['size', 'load', 'pps', 'min', 'p50', 'p99', 'p99.9', 'max'], lw));
    for (const r of results) {
      for (const l of r.latency) out.push(row([r.size, `${l.loadPct}%`, fmtRate(l.pps), l.minUs, l.p50Us, l.p99Us, l.p999Us, l.maxUs], lw));
    }
  }
  const limited = results.filter((r) => r.generatorLimitedTrials > 0);
  if (limited.length > 0) {
    out.push('', `generator-limited trials (not counted): ${limited.map((r) => `${r.size} B: ${r.generatorLimitedTrials}` +
      `${r.generatorCeiling ? ` (ceiling ${fmtRate(r.generatorCeiling)} pps)` : ''}`).join('; ')}`);
  }
  return out;
}

export function markdownReport(results: SizeResult[], o: Rfc2544Options, txName: string, rxName: string): string {
  const out = [`# RFC 2544 throughput and latency: ${txName} -> ${rxName}`, '',
    `Trials of ${o.trial} s after ${o.warmup} s of warm-up, confirmation trials of ${o.final} s, precision ${o.precision}%, ` +
    `frame sizes counting the FCS, line rate ${o.lineRate / 1e9} Gbit/s. ! = no rate met the target (lowest rate tried shown), ` +
    '? = not confirmed, ^ = the generator\'s ceiling (the device carried all it was offered).', ''];
  const targets = results[0]?.pdrs.map((p) => p.lossTarget) ?? [];
  out.push(`| size | NDR pps | NDR Mbit/s | NDR % line | ${targets.map((t) => `PDR(${t}%) pps | PDR Mbit/s | loss %`).join(' | ')}${targets.length ? ' | ' : ''}limited by | trials (generator-limited) |`);
  out.push(`|---:|---:|---:|---:|${targets.map(() => '---:|---:|---:|').join('')}---|---:|`);
  for (const r of results) {
    out.push(`| ${r.size} | ${cell(r.ndr)} | ${r.ndr.mbps.toFixed(1)} | ${r.ndr.linePct.toFixed(2)} | ` +
      `${r.pdrs.map((p) => `${cell(p)} | ${p.mbps.toFixed(1)} | ${p.lossPct.toFixed(3)} | `).join('')}${r.limitedBy} | ${r.trials} (${r.generatorLimitedTrials}) |`);
  }
  if (results.some((r) => r.latency.length > 0)) {
    out.push('', '| size | load (% of PDR) | pps | min µs | p50 µs | p99 µs | p99.9 µs | max µs | loss % |', '|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of results) {
      for (const l of r.latency) out.push(`| ${r.size} | ${l.loadPct} | ${fmtRate(l.pps)} | ${l.minUs} | ${l.p50Us} | ${l.p99Us} | ${l.p999Us} | ${l.maxUs} | ${l.lossPct.toFixed(3)} |`);
    }
  }
  out.push('', '![throughput and latency](rfc2544.svg)', '');
  return out.join('\n');
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

interface Panel { x: number; y: number; w: number; h: number }

function axes(out: string[], p: Panel, max: number, unit: string, title: string): (v: number) => number {
  const y = (v: number): number => p.y + p.h - (v / max) * p.h;
  out.push(`<text x="${p.x + p.w / 2}" y="${p.y - 12}" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`);
  for (let i = 0; i <= 5; i++) {
    const v = (max * i) / 5;
    out.push(`<line x1="${p.x}" x2="${p.x + p.w}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`);
    out.push(`<text x="${p.x - 6}" y="${y(v).toFixed(1)}" text-anchor="end" dominant-baseline="middle">${+v.toPrecision(3)}</text>`);
  }
  out.push(`<text transform="translate(${p.x - 50} ${p.y + p.h / 2}) rotate(-90)" text-anchor="middle">${esc(unit)}</text>`);
  out.push(`<line x1="${p.x}" x2="${p.x + p.w}" y1="${p.y + p.h}" y2="${p.y + p.h}" stroke="#000"/>`);
  return y;
}

/** Bars: `series` values per group (kpps or any unit); the chart the bench comparison reuses. */
export function throughputPanel(out: string[], p: Panel, groups: string[], series: { name: string; values: (number | undefined)[] }[], unit: string, title: string): void {
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values.map((v) => v ?? 0))));
  const y = axes(out, p, max, unit, title);
  const gw = p.w / Math.max(1, groups.length);
  const bw = Math.min(36, (gw * 0.8) / Math.max(1, series.length));
  groups.forEach((g, gi) => {
    const x0 = p.x + gi * gw + (gw - bw * series.length) / 2;
    series.forEach((s, si) => {
      const v = s.values[gi];
      if (v === undefined) return;
      out.push(`<rect x="${(x0 + si * bw).toFixed(1)}" y="${y(v).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${(p.y + p.h - y(v)).toFixed(1)}" ` +
        `fill="${COLORS[si % COLORS.length]}"><title>${esc(`${s.name}, ${g}: ${+v.toPrecision(4)} ${unit}`)}</title></rect>`);
    });
    out.push(`<text x="${(p.x + gi * gw + gw / 2).toFixed(1)}" y="${p.y + p.h + 16}" text-anchor="middle">${esc(g)}</text>`);
  });
  series.forEach((s, si) => {
    const lx = p.x + si * 150;
    out.push(`<rect x="${lx}" y="${p.y + p.h + 28}" width="12" height="12" fill="${COLORS[si % COLORS.length]}"/>`);
    out.push(`<text x="${lx + 18}" y="${p.y + p.h + 38}">${esc(s.name)}</text>`);
  });
}

export function svgReport(results: SizeResult[]): string {
  const W = 1000;
  const H = 420;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`];
  const pdrName = results[0] && results[0].pdr.lossTarget > 0 ? `PDR(${results[0].pdr.lossTarget}%)` : 'PDR';
  throughputPanel(out, { x: 80, y: 50, w: 380, h: 290 }, results.map((r) => `${r.size} B`), [
    { name: 'NDR', values: results.map((r) => r.ndr.pps / 1e3) },
    { name: pdrName, values: results.map((r) => r.pdr.pps / 1e3) },
  ], 'kpps', 'Throughput by frame size');
  // Latency by load: p50 solid, p99 dashed, one colour per frame size.
  const lp: Panel = { x: 590, y: 50, w: 380, h: 290 };
  const max = niceMax(Math.max(1, ...results.flatMap((r) => r.latency.map((l) => l.p99Us))));
  const y = axes(out, lp, max, 'µs', 'Latency by load (p50 solid, p99 dashed)');
  const x = (pct: number): number => lp.x + (pct / 100) * lp.w;
  for (const pct of [0, 25, 50, 75, 100]) out.push(`<text x="${x(pct)}" y="${lp.y + lp.h + 16}" text-anchor="middle">${pct}%</text>`);
  out.push(`<text x="${lp.x + lp.w / 2}" y="${lp.y + lp.h + 32}" text-anchor="middle">load, % of the ${esc(pdrName)}</text>`);
  results.forEach((r, i) => {
    const c = COLORS[i % COLORS.length];
    for (const [key, dash] of [['p50Us', ''], ['p99Us', ' stroke-dasharray="5 3"']] as const) {
      const pts = r.latency.map((l) => `${x(l.loadPct).toFixed(1)},${y(l[key]).toFixed(1)}`).join(' ');
      if (r.latency.length > 0) out.push(`<polyline points="${pts}" fill="none" stroke="${c}" stroke-width="2"${dash}><title>${r.size} B ${key.slice(0, 3)}</title></polyline>`);
    }
    out.push(`<rect x="${lp.x + i * 54}" y="${lp.y + lp.h + 44}" width="12" height="12" fill="${c}"/>`);
    out.push(`<text x="${lp.x + i * 54 + 16}" y="${lp.y + lp.h + 54}">${r.size} B</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
