// The rule preview drawn with uPlot: the metric per group, the threshold as
// a dashed line, and the intervals in which the rule would have been pending
// (amber) or firing (red) as bands behind the series. An anomaly rule's
// preview draws its first group's observed metric inside its band instead
// (the other groups' scores are listed below the chart).

import uPlot from "uplot";
import { useEffect, useRef } from "preact/hooks";
import type { PreviewGroup, PreviewInterval, RulePreview } from "../alerting-api";
import { toEpochSeconds } from "../format";
import { formatGroup, formatMetric, formatTime } from "../ui/format";
import { html } from "../ui/html";
import { isUtc } from "../ui/timezone";
import { Empty } from "../ui/states";

/** A group's series in words, for the chart's text equivalent: its range and last value. */
function describeSeries(metric: string, values: number[]): string {
  if (values.length === 0) return "no values";
  const last = values[values.length - 1]!;
  return `from ${formatMetric(metric, Math.min(...values))} to ${formatMetric(metric, Math.max(...values))}, last ${formatMetric(metric, last)} (${values.length} points)`;
}

/** An anomaly group in words: its last observation against its band, and its highest score. */
function describeBand(metric: string, g: PreviewGroup): string {
  const last = [...g.points].reverse().find((pt) => pt.band);
  if (!last?.band) return "no values";
  const b = last.band;
  if (b.status === "warming-up") return `warming up, last ${formatMetric(metric, b.observed)}`;
  const scores = g.points.map((pt) => pt.value).filter((v): v is number => typeof v === "number");
  return `last ${formatMetric(metric, b.observed)} against ${formatMetric(metric, b.lower)} – ${formatMetric(metric, b.upper)} (expected ${formatMetric(metric, b.expected)}, ${b.status} baseline); highest score ${scores.length ? Math.max(...scores).toFixed(2) : "—"}`;
}

/** Groups drawn at most (the list below the chart names them all). */
const MAX_DRAWN = 8;
const COLORS = ["#4da3ff", "#3ecf8e", "#c58bff", "#f5b942", "#5ad1d1", "#ff9f6b", "#a3b8ff", "#e88bd8"];
const BAND = { pending: "rgba(245, 185, 66, 0.16)", firing: "rgba(255, 107, 107, 0.22)" } as const;
const AXIS = "#8a94a6";
const GRID = "rgba(138, 148, 166, 0.12)";

interface Band {
  state: PreviewInterval["state"];
  from: number;
  to: number;
}

/** Whether the preview is an anomaly rule's: its points carry the band. */
export const isBanded = (p: RulePreview) => p.groups.some((g) => g.points.some((pt) => pt.band));

/** The first group's observed value, expected value and band edges, in the metric's units. */
function bandData(p: RulePreview): { data: uPlot.AlignedData; bands: Band[]; groups: string[] } {
  const g = p.groups[0]!;
  const xs = g.points.map((pt) => toEpochSeconds(pt.ts));
  const pick = (k: "observed" | "expected" | "lower" | "upper") => g.points.map((pt) => pt.band?.[k] ?? null);
  const bands = (g.intervals ?? []).map((iv) => ({ state: iv.state, from: toEpochSeconds(iv.from), to: toEpochSeconds(iv.to) }));
  return { data: [xs, pick("observed"), pick("expected"), pick("lower"), pick("upper")] as uPlot.AlignedData, bands, groups: [formatGroup(g.group)] };
}

function chartData(p: RulePreview): { data: uPlot.AlignedData; bands: Band[]; groups: string[] } {
  if (isBanded(p)) return bandData(p);
  const drawn = p.groups.slice(0, MAX_DRAWN);
  const xs = [...new Set(drawn.flatMap((g) => g.points.map((pt) => toEpochSeconds(pt.ts))).filter(Number.isFinite))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const series = drawn.map((g) => {
    const ys: (number | null)[] = new Array(xs.length).fill(null);
    for (const pt of g.points) {
      const i = index.get(toEpochSeconds(pt.ts));
      if (i !== undefined) ys[i] = typeof pt.value === "number" ? pt.value : null;
    }
    return ys;
  });
  const threshold = xs.map(() => p.threshold);
  const bands = p.groups.flatMap((g) =>
    (g.intervals ?? []).map((iv) => ({ state: iv.state, from: toEpochSeconds(iv.from), to: toEpochSeconds(iv.to) })),
  );
  return { data: [xs, ...series, threshold] as uPlot.AlignedData, bands, groups: drawn.map((g) => formatGroup(g.group)) };
}

export function PreviewChart({ preview, metric }: { preview: RulePreview; metric: string }) {
  const el = useRef<HTMLDivElement>(null);
  const hasPoints = preview.groups.some((g) => g.points.length > 0);

  useEffect(() => {
    const target = el.current;
    if (!target || !hasPoints) return;
    const { data, bands, groups } = chartData(preview);
    const banded = isBanded(preview);
    const drawBands = (u: uPlot) => {
      const { ctx, bbox } = u;
      ctx.save();
      for (const b of bands) {
        const x0 = Math.max(bbox.left, u.valToPos(b.from, "x", true));
        const x1 = Math.min(bbox.left + bbox.width, u.valToPos(b.to, "x", true));
        if (!(x1 > x0)) continue;
        ctx.fillStyle = BAND[b.state] ?? BAND.firing;
        ctx.fillRect(x0, bbox.top, x1 - x0, bbox.height);
      }
      ctx.restore();
    };
    const fmt = (v: number | null) => formatMetric(metric, v);
    const plot = new uPlot(
      {
        width: Math.max(300, target.clientWidth),
        height: 240,
        padding: [10, 10, 0, 2],
        cursor: { drag: { x: false, y: false, setScale: false } },
        scales: { x: { time: true } },
        // Axis times in the viewer's chosen zone (ui/timezone.ts), as every other time.
        tzDate: (ts) => (isUtc() ? uPlot.tzDate(new Date(ts * 1000), "Etc/UTC") : new Date(ts * 1000)),
        axes: [
          { stroke: AXIS, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID, width: 1 }, font: "11px system-ui, sans-serif" },
          { stroke: AXIS, grid: { stroke: GRID, width: 1 }, ticks: { show: false }, size: 60, font: "11px system-ui, sans-serif",
            values: (_u, vals) => vals.map((v) => fmt(v)) },
        ],
        series: [
          { value: (_u, v) => (v == null ? "—" : formatTime(new Date(v * 1000).toISOString())) },
          ...(banded
            ? [
                { label: `${groups[0]} observed`, stroke: COLORS[0]!, width: 1.5, points: { show: false }, value: (_u: uPlot, v: number | null) => fmt(v) },
                { label: "expected", stroke: AXIS, width: 1, points: { show: false }, value: (_u: uPlot, v: number | null) => fmt(v) },
                { label: "band low", stroke: "#ff6b6b", width: 1, dash: [6, 4], points: { show: false }, value: (_u: uPlot, v: number | null) => fmt(v) },
                { label: "band high", stroke: "#ff6b6b", width: 1, dash: [6, 4], points: { show: false }, value: (_u: uPlot, v: number | null) => fmt(v) },
              ]
            : [
                ...groups.map((g, i) => ({ label: g, stroke: COLORS[i % COLORS.length]!, width: 1.5, points: { show: false }, value: (_u: uPlot, v: number | null) => fmt(v) })),
                { label: "threshold", stroke: "#ff6b6b", width: 1, dash: [6, 4], points: { show: false }, value: (_u: uPlot, v: number | null) => fmt(v) },
              ]),
        ],
        hooks: { drawClear: [drawBands] },
      },
      data,
      target,
    );
    const resize = new ResizeObserver(() => {
      const w = Math.max(300, Math.floor(target.clientWidth));
      if (w !== plot.width) plot.setSize({ width: w, height: 240 });
    });
    resize.observe(target);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [preview, metric, hasPoints]);

  const banded = isBanded(preview);
  const intervals = preview.groups.flatMap((g) => (g.intervals ?? []).map((iv) => ({ ...iv, group: formatGroup(g.group) })));
  return html`<figure class="preview-chart" id="preview-chart" data-groups=${preview.groups.length} data-intervals=${intervals.length}>
    <figcaption>
      Preview <span class="muted">${banded ? `${formatGroup(preview.groups[0]?.group ?? null)} in its band` : `threshold ${formatMetric(metric, preview.threshold)}`} · step ${preview.step} · ${preview.groups.length} group${preview.groups.length === 1 ? "" : "s"}${preview.groups.length > MAX_DRAWN ? ` (first ${MAX_DRAWN} drawn)` : ""}</span>
    </figcaption>
    ${hasPoints
      ? html`<div class="chart" ref=${el} role="img" aria-label=${`${metric} per group over the window, threshold ${formatMetric(metric, preview.threshold)}; the values are listed below the chart`}></div>
          <ul class="sr-only" id="preview-chart-text">
            ${preview.groups.map((g) => html`<li>${formatGroup(g.group)}: ${banded ? describeBand(metric, g) : describeSeries(metric, g.points.map((pt) => pt.value).filter((v): v is number => typeof v === "number"))}</li>`)}
          </ul>`
      : html`<${Empty}>No traffic matched the rule in this window.<//>`}
    ${intervals.length
      ? html`<ul class="intervals" id="preview-intervals">
          ${intervals.map((iv) => html`<li data-state=${iv.state}><span class=${`state state-${iv.state}`}>${iv.state}</span> ${iv.group}: ${formatTime(iv.from)} – ${iv.ongoing ? "still" : formatTime(iv.to)}</li>`)}
        </ul>`
      : html`<p class="muted" id="preview-intervals-none">It would not have fired in this window.</p>`}
  </figure>`;
}
