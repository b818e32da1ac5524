// Line charts as SVG, rasterised to PNG by sharp (librsvg): no plotting dependency.
import sharp from 'sharp';

export interface Series {
  label: string;
  points: Array<[number, number]>;
  color: string;
  dashed?: boolean;
}

export interface Chart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** horizontal reference lines */
  marks?: Array<{ label: string; y: number }>;
  /** lowest y shown even when no value goes that low (0 for the collapse std: collapse is the fall to 0) */
  yMin?: number;
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

const W = 900;
const H = 520;
const M = { left: 80, right: 190, top: 50, bottom: 60 };

/** ~`count` round tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, count = 6): number[] {
  const raw = (hi - lo) / count;
  const step = [1, 2, 5, 10].map((m) => m * 10 ** Math.floor(Math.log10(raw))).find((s) => s >= raw)!;
  const out: number[] = [];
  // integer multiples of the step: accumulating it would print 0 as -5.551e-17
  for (let k = Math.ceil(lo / step); k * step <= hi + step * 1e-9; k++) out.push(Number((k * step).toPrecision(12)));
  return out;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const label = (v: number) => String(Number(v.toPrecision(4)));

export function chartSvg(chart: Chart): string {
  const ys = [...chart.series.flatMap((s) => s.points.map((p) => p[1])), ...(chart.marks ?? []).map((m) => m.y)].filter(Number.isFinite);
  const xs = chart.series.flatMap((s) => s.points.map((p) => p[0])).filter(Number.isFinite);
  let [x0, x1] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  let [y0, y1] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  if (x1 === x0) [x0, x1] = [x0 - 0.5, x1 + 0.5];
  const pad = (y1 - y0) * 0.05 || 0.5;
  [y0, y1] = [chart.yMin !== undefined ? Math.min(chart.yMin, y0) : y0 - pad, y1 + pad];
  const px = (x: number) => M.left + ((x - x0) / (x1 - x0)) * (W - M.left - M.right);
  const py = (y: number) => H - M.bottom - ((y - y0) / (y1 - y0)) * (H - M.top - M.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif" font-size="13">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="28" text-anchor="middle" font-size="17">${esc(chart.title)}</text>`,
  ];
  for (const t of ticks(y0, y1)) {
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${py(t)}" y2="${py(t)}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${M.left - 8}" y="${py(t) + 4}" text-anchor="end">${label(t)}</text>`);
  }
  for (const t of ticks(x0, x1)) {
    parts.push(`<line x1="${px(t)}" x2="${px(t)}" y1="${M.top}" y2="${H - M.bottom}" stroke="#f0f0f0"/>`);
    parts.push(`<text x="${px(t)}" y="${H - M.bottom + 20}" text-anchor="middle">${label(t)}</text>`);
  }
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="#444"/>`);
  parts.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 15}" text-anchor="middle">${esc(chart.xLabel)}</text>`);
  parts.push(`<text transform="translate(22 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(chart.yLabel)}</text>`);
  for (const m of chart.marks ?? []) {
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${py(m.y)}" y2="${py(m.y)}" stroke="#000" stroke-dasharray="2 4"/>`);
    parts.push(`<text x="${W - M.right - 6}" y="${py(m.y) - 6}" text-anchor="end" fill="#000">${esc(m.label)}</text>`);
  }
  chart.series.forEach((s, i) => {
    const pts = s.points.filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
    const dash = s.dashed ? ' stroke-dasharray="7 4"' : '';
    if (pts.length > 1) parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${pts.map((p) => `${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(' ')}"/>`);
    // single points (and short series) stay visible as dots
    if (pts.length < 30) for (const p of pts) parts.push(`<circle cx="${px(p[0])}" cy="${py(p[1])}" r="3.5" fill="${s.color}"/>`);
    const ly = M.top + 10 + i * 22;
    parts.push(`<line x1="${W - M.right + 12}" x2="${W - M.right + 40}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2.5"${dash}/>`);
    parts.push(`<text x="${W - M.right + 46}" y="${ly + 4}">${esc(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export async function writeChartPng(file: string, chart: Chart): Promise<void> {
  await sharp(Buffer.from(chartSvg(chart))).png().toFile(file);
}
