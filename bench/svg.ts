// A grouped bar chart as plain SVG text: one group per frame size, one bar
// per forwarder (median), a whisker from min to max. Written by hand so the
// benchmarks need no plotting dependency; any browser or GitHub renders it.

export interface Series { name: string; values: ({ median: number; min: number; max: number } | undefined)[] }

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#393b79', '#ad494a'];

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A "nice" axis maximum (1, 2 or 5 times a power of ten) at or above v. */
function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** `groups` label the x axis (e.g. "64 B"); each series has one value per group (undefined = not run). */
export function barChart(title: string, unit: string, groups: string[], series: Series[]): string {
  const W = 760;
  const left = 70;
  const right = 20;
  const top = 40;
  const plotH = 300;
  const legendRows = Math.ceil(series.length / 3);
  const H = top + plotH + 40 + legendRows * 20 + 10;
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values.map((v) => v?.max ?? 0))));
  const y = (v: number): number => top + plotH - (v / max) * plotH;
  const groupW = (W - left - right) / groups.length;
  const barW = Math.min(40, (groupW * 0.8) / Math.max(1, series.length));
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`);
  for (let i = 0; i <= 5; i++) {
    const v = (max * i) / 5;
    const yy = y(v).toFixed(1);
    out.push(`<line x1="${left}" x2="${W - right}" y1="${yy}" y2="${yy}" stroke="#ddd"/>`);
    out.push(`<text x="${left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${+(v).toPrecision(3)}</text>`);
  }
  out.push(`<text transform="translate(16 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(unit)}</text>`);
  out.push(`<line x1="${left}" x2="${W - right}" y1="${top + plotH}" y2="${top + plotH}" stroke="#000"/>`);
  groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + (groupW - barW * series.length) / 2;
    series.forEach((s, si) => {
      const v = s.values[gi];
      if (!v) return;
      const x = x0 + si * barW;
      const c = COLORS[si % COLORS.length];
      out.push(`<rect x="${x.toFixed(1)}" y="${y(v.median).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(top + plotH - y(v.median)).toFixed(1)}" fill="${c}"><title>${esc(`${s.name}, ${g}: ${+v.median.toPrecision(4)} ${unit} (min ${+v.min.toPrecision(4)}, max ${+v.max.toPrecision(4)})`)}</title></rect>`);
      const cx = (x + (barW - 2) / 2).toFixed(1);
      out.push(`<line x1="${cx}" x2="${cx}" y1="${y(v.min).toFixed(1)}" y2="${y(v.max).toFixed(1)}" stroke="#333"/>`);
    });
    out.push(`<text x="${(left + gi * groupW + groupW / 2).toFixed(1)}" y="${top + plotH + 18}" text-anchor="middle">${esc(g)}</text>`);
  });
  series.forEach((s, si) => {
    const lx = left + (si % 3) * 230;
    const ly = top + plotH + 40 + Math.floor(si / 3) * 20;
    out.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${COLORS[si % COLORS.length]}"/>`);
    out.push(`<text x="${lx + 18}" y="${ly}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
