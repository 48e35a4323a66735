// One metric over time, drawn with uPlot: the overview's, a route's and a
// consumer's charts. The axis follows the chosen time zone, and a text
// equivalent (range, last value, busiest point) is given for screen readers.

import uPlot from "uplot";
import { useEffect, useRef } from "preact/hooks";
import { toEpochSeconds } from "../format";
import { formatTime } from "./format";
import { html } from "./html";
import { isUtc } from "./timezone";

export interface SeriesPoint {
  ts: string;
  value: number | null;
}

export interface SeriesChartProps {
  id: string;
  title: string;
  /** What the unit or step is, shown beside the title ("per minute"). */
  note: string;
  points: SeriesPoint[];
  format: (v: number | null) => string;
  /** Axis labels, shorter than `format` ("1.5 s" for 1,500 ms); `format` when not given. */
  axis?: (v: number) => string;
  color: string;
  bars?: boolean;
  /** The smallest top of the y range, so a flat zero line sits at the bottom. */
  minTop?: number;
  height?: number;
}

const AXIS = "#8a94a6";
const GRID = "rgba(138, 148, 166, 0.12)";

/** The series in words: "from 0 to 12.3 ms, last 4.5 ms; highest at 14:03". */
export function describeSeries(points: SeriesPoint[], format: (v: number | null) => string): string {
  const values = points.filter((p): p is { ts: string; value: number } => typeof p.value === "number");
  if (values.length === 0) return "no data in the window";
  let top = values[0]!;
  for (const p of values) if (p.value > top.value) top = p;
  const min = Math.min(...values.map((p) => p.value));
  return `from ${format(min)} to ${format(top.value)}, highest at ${formatTime(top.ts)}, last ${format(values[values.length - 1]!.value)}`;
}

export function SeriesChart(props: SeriesChartProps) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const height = props.height ?? 180;
  const data = (): uPlot.AlignedData => [props.points.map((p) => toEpochSeconds(p.ts)), props.points.map((p) => p.value)];

  useEffect(() => {
    const target = el.current;
    if (!target) return;
    const minTop = props.minTop ?? 1;
    const u = new uPlot(
      {
        width: Math.max(200, target.clientWidth),
        height,
        padding: [10, 10, 0, 2],
        cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 7 } },
        // The caption names the series and the text equivalent gives its values; uPlot's legend would only repeat it.
        legend: { show: false },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(minTop, (max ?? 0) * 1.15)] } },
        tzDate: (ts) => (isUtc() ? uPlot.tzDate(new Date(ts * 1000), "Etc/UTC") : new Date(ts * 1000)),
        axes: [
          { stroke: AXIS, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID, width: 1 }, font: "11px system-ui, sans-serif" },
          { stroke: AXIS, grid: { stroke: GRID, width: 1 }, ticks: { show: false }, size: 60, font: "11px system-ui, sans-serif",
            values: (_u, vals) => vals.map((v) => (props.axis ?? props.format)(v)) },
        ],
        series: [
          { value: (_u, v) => (v == null ? "—" : formatTime(new Date(v * 1000).toISOString())) },
          {
            label: props.title,
            stroke: props.color,
            fill: props.bars ? `${props.color}99` : `${props.color}24`,
            width: props.bars ? 0 : 2,
            points: { show: false },
            value: (_u, v) => props.format(v),
            ...(props.bars && uPlot.paths.bars ? { paths: uPlot.paths.bars({ size: [0.7, 40], align: 1 }) } : {}),
          },
        ],
      },
      data(),
      target,
    );
    plot.current = u;
    const resize = new ResizeObserver(() => {
      const w = Math.max(200, Math.floor(target.clientWidth));
      if (w !== u.width) u.setSize({ width: w, height });
    });
    resize.observe(target);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    plot.current?.setData(data());
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.points]);

  const summary = describeSeries(props.points, props.format);
  const sum = props.points.reduce((n, p) => n + (typeof p.value === "number" ? p.value : 0), 0);
  return html`<figure class="card chart-card" id=${props.id} data-points=${props.points.length} data-sum=${String(Math.round(sum * 1000) / 1000)}>
    <figcaption>${props.title} <span class="muted">${props.note}</span></figcaption>
    <div class="chart" ref=${el} role="img" aria-label=${`${props.title} ${props.note}: ${summary}`}></div>
    <p class="sr-only" id=${`${props.id}-text`}>${summary}</p>
  </figure>`;
}
