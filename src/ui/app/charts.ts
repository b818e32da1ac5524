// Every chart on the page is uPlot: this file only turns the page's data into uPlot options and
// mounts an instance into a Preact component. Series colours come from one palette.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { html } from 'htm/preact';

export const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d'];
export const colour = (i: number) => PALETTE[i % PALETTE.length];

type ChartOptions = Omit<uPlot.Options, 'width' | 'height'> & { height?: number };

/**
 * One uPlot chart sized to its box. The instance is rebuilt when `shape` (the series layout)
 * changes and only fed new data otherwise, so live updates do not redraw the page. The instance
 * is kept on the element as `uplot` for the browser tests, which point at data positions.
 */
export function Chart({ name, options, data, shape }: { name: string; options: ChartOptions; data: uPlot.AlignedData; shape: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  useEffect(() => {
    const el = box.current!;
    const u = new uPlot({ ...options, width: Math.max(el.clientWidth, 200), height: options.height ?? 180 }, data, el);
    plot.current = u;
    (el as HTMLDivElement & { uplot?: uPlot }).uplot = u;
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(el.clientWidth, 200), height: u.height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = undefined;
    };
  }, [shape]);
  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);
  return html`<div class="chart" data-chart=${name} data-points=${data[0]?.length ?? 0} ref=${box}></div>`;
}

export interface LineSeries {
  label: string;
  values: Array<number | null>;
  dash?: number[];
  points?: boolean;
}

/** Lines over a shared numeric x (steps or epochs). */
export function lineChart(title: string, xLabel: string, x: number[], series: LineSeries[], yRange?: [number, number]): { options: ChartOptions; data: uPlot.AlignedData; shape: string } {
  return {
    shape: `${title}|${series.map((s) => s.label).join(',')}`,
    data: [x, ...series.map((s) => s.values)] as uPlot.AlignedData,
    options: {
      title,
      height: 150,
      scales: { x: { time: false }, ...(yRange && { y: { range: yRange } }) },
      axes: [{ label: xLabel, size: 40 }, { size: 55 }],
      legend: { live: true },
      series: [
        { label: xLabel },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: colour(i),
          width: 1.5,
          dash: s.dash,
          spanGaps: true,
          points: { show: s.points ?? false, size: 5 },
        })),
      ],
    },
  };
}

/**
 * Bars at categories: one group per category, one bar per series in it. Each series sits at its
 * own x offset inside the group (joined with uPlot.join, nulls elsewhere).
 */
export function barChart(title: string, categories: string[], series: Array<{ label: string; values: Array<number | null> }>, height = 200) {
  const width = 0.8 / Math.max(series.length, 1);
  const offset = (k: number) => (k - (series.length - 1) / 2) * width;
  const data = uPlot.join(series.map((s, k) => [categories.map((_, i) => i + offset(k)), s.values.map((v) => v ?? null)] as uPlot.AlignedData));
  const bars = uPlot.paths.bars!({ size: [width * 0.9, Infinity], align: 0 });
  const options: ChartOptions = {
    title,
    height,
    scales: { x: { time: false, range: [-0.5, categories.length - 0.5] }, y: { range: (_u, _min, max) => [0, Math.max(max, 0) * 1.1 || 1] } },
    axes: [
      { splits: () => categories.map((_, i) => i), values: (_u, splits) => splits.map((i) => categories[Math.round(i)] ?? '') },
      { size: 50 },
    ],
    cursor: { show: true, points: { show: false } },
    // one series needs no legend; several are told apart by it
    legend: { show: series.length > 1, live: false },
    series: [{ label: 'category' }, ...series.map((s, i) => ({ label: s.label, fill: colour(i), stroke: colour(i), paths: bars, points: { show: false } }))],
  };
  return { options, data, shape: `${title}|${categories.join(',')}|${series.map((s) => s.label).join(',')}` };
}
