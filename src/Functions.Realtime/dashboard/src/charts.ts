// The three live charts (requests per 10 s, error rate, p95 latency), drawn
// with uPlot. History comes from /metrics/timeseries; live `metrics` ticks
// (one per second) are added into the chart's 10-second buckets. The last
// 15 minutes are kept.

import uPlot from "uplot";
import type { Timeseries } from "./api";
import { serverNow } from "./clock";
import { formatCompact, formatInt, formatMs, formatPercent, toEpochSeconds } from "./format";
import type { MetricsTick } from "./live";

export const STEP_SECONDS = 10;
export const SPAN_SECONDS = 15 * 60;
/** Live ticks kept to re-add on top of a reloaded history (seconds). */
const TICK_MEMORY_SECONDS = 180;

interface Bucket {
  requests: number;
  errors: number;
  /** Request-weighted mean of the per-second p95s (exact from history). */
  p95: number | null;
  p95Weight: number;
}

interface TimedTick {
  t: number;
  tick: MetricsTick;
}

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/**
 * 10-second buckets for the last 15 minutes. History replaces the buckets it
 * covers; ticks newer than the history's cut-off are added on top, so the
 * current (partial) bucket keeps growing between reloads.
 */
export class BucketStore {
  private buckets = new Map<number, Bucket>();
  private offset = 0; // bucket alignment (seconds past a multiple of the step)
  private cutoff = Number.NEGATIVE_INFINITY;
  private ticks: TimedTick[] = [];
  /** Server time of the newest tick received. */
  lastTickTs = Number.NEGATIVE_INFINITY;

  bucketOf(t: number): number {
    return Math.floor((t - this.offset) / STEP_SECONDS) * STEP_SECONDS + this.offset;
  }

  /**
   * Loads server history. `cutoff` (server epoch seconds): ticks at or before
   * it are taken to be included in the history already.
   */
  setHistory(counts: Timeseries | null, rates: Timeseries | null, p95s: Timeseries | null, cutoff: number): void {
    const byTs = (s: Timeseries | null) => {
      const m = new Map<number, number | null>();
      for (const p of s?.points ?? []) {
        const t = toEpochSeconds(p.ts);
        if (Number.isFinite(t)) m.set(Math.round(t), p.value);
      }
      return m;
    };
    const c = byTs(counts);
    const r = byTs(rates);
    const p = byTs(p95s);
    const all = [...new Set([...c.keys(), ...r.keys(), ...p.keys()])].sort((a, b) => a - b);
    if (all.length > 0) {
      const first = all[0]!;
      this.offset = ((first % STEP_SECONDS) + STEP_SECONDS) % STEP_SECONDS;
    }
    this.buckets.clear();
    for (const t of all) {
      const requests = num(c.get(t));
      const rate = r.get(t);
      const p95 = p.get(t);
      this.buckets.set(t, {
        requests,
        errors: typeof rate === "number" && Number.isFinite(rate) ? rate * requests : 0,
        p95: typeof p95 === "number" && Number.isFinite(p95) ? p95 : null,
        p95Weight: requests,
      });
    }
    this.cutoff = cutoff;
    for (const { t, tick } of this.ticks) if (t > cutoff) this.apply(t, tick);
    this.prune();
  }

  /** Adds a live tick; returns false when it could not be placed in time. */
  addTick(tick: MetricsTick): boolean {
    const t = toEpochSeconds(tick.ts);
    if (!Number.isFinite(t)) return false;
    this.lastTickTs = Math.max(this.lastTickTs, t);
    this.ticks.push({ t, tick });
    const keepAfter = this.lastTickTs - TICK_MEMORY_SECONDS;
    if (this.ticks.length > 0 && this.ticks[0]!.t < keepAfter) this.ticks = this.ticks.filter((x) => x.t >= keepAfter);
    if (t <= this.cutoff) return true; // already in the loaded history
    this.apply(t, tick);
    return true;
  }

  private apply(t: number, tick: MetricsTick): void {
    const key = this.bucketOf(t);
    let b = this.buckets.get(key);
    if (!b) {
      b = { requests: 0, errors: 0, p95: null, p95Weight: 0 };
      this.buckets.set(key, b);
    }
    const n = num(tick.requests);
    b.requests += n;
    b.errors += num(tick.errors);
    if (typeof tick.p95 === "number" && Number.isFinite(tick.p95) && n > 0) {
      const w = b.p95 === null ? 0 : b.p95Weight;
      b.p95 = ((b.p95 ?? 0) * w + tick.p95 * n) / (w + n);
      b.p95Weight = w + n;
    }
  }

  private prune(): void {
    const oldest = this.bucketOf(this.now() - SPAN_SECONDS);
    for (const k of this.buckets.keys()) if (k < oldest) this.buckets.delete(k);
  }

  private now(): number {
    return Math.max(serverNow(), this.lastTickTs);
  }

  /** Columns for the charts: x, requests per bucket, error rate %, p95 ms. */
  columns(): [number[], (number | null)[], (number | null)[], (number | null)[]] {
    this.prune();
    const end = this.bucketOf(this.now());
    const start = end - SPAN_SECONDS + STEP_SECONDS;
    const xs: number[] = [];
    const req: (number | null)[] = [];
    const err: (number | null)[] = [];
    const lat: (number | null)[] = [];
    for (let x = start; x <= end; x += STEP_SECONDS) {
      const b = this.buckets.get(x);
      xs.push(x);
      req.push(b ? b.requests : 0);
      err.push(b && b.requests > 0 ? (b.errors / b.requests) * 100 : null);
      lat.push(b ? b.p95 : null);
    }
    return [xs, req, err, lat];
  }
}

// ---- drawing ---------------------------------------------------------------

const AXIS = "#8a94a6";
const GRID = "rgba(138, 148, 166, 0.12)";
const HEIGHT = 190;

interface ChartSpec {
  el: HTMLElement;
  label: string;
  color: string;
  fill: string;
  format: (v: number | null) => string;
  axis: (v: number) => string;
  bars?: boolean;
  /** Smallest top of the y range (so a flat zero line sits at the bottom). */
  minTop: number;
}

/** The newest non-null value, skipping the current (still filling) bucket. */
function latestComplete(values: uPlot.AlignedData[number] | undefined): number | null {
  if (!values) return null;
  for (let i = values.length - 2; i >= 0; i--) {
    const v = values[i];
    if (typeof v === "number" && Number.isFinite(v)) return v;
  }
  return null;
}

function makeChart(spec: ChartSpec, data: uPlot.AlignedData): uPlot {
  const width = Math.max(200, spec.el.clientWidth);
  const opts: uPlot.Options = {
    width,
    height: HEIGHT,
    padding: [10, 10, 0, 2],
    cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 7 } },
    legend: { show: true, live: true },
    scales: {
      x: { time: true },
      y: {
        range: (_u, _min, max) => [0, Math.max(spec.minTop, (max ?? 0) * 1.15)],
      },
    },
    axes: [
      {
        stroke: AXIS,
        grid: { stroke: GRID, width: 1 },
        ticks: { stroke: GRID, width: 1 },
        font: "11px system-ui, sans-serif",
      },
      {
        stroke: AXIS,
        grid: { stroke: GRID, width: 1 },
        ticks: { show: false },
        font: "11px system-ui, sans-serif",
        size: 52,
        values: (_u, vals) => vals.map((v) => spec.axis(v)),
      },
    ],
    series: [
      { value: (_u, v) => (v == null ? "—" : new Date(v * 1000).toLocaleTimeString()) },
      {
        label: spec.label,
        stroke: spec.color,
        fill: spec.fill,
        width: spec.bars ? 0 : 2,
        spanGaps: false,
        points: { show: false },
        // Hovered: that bucket. Otherwise: the newest complete bucket.
        value: (u, v, sidx, idx) => spec.format(idx == null ? latestComplete(u.data[sidx]) : v),
        ...(spec.bars && uPlot.paths.bars ? { paths: uPlot.paths.bars({ size: [0.7, 40], align: 1 }) } : {}),
      },
    ],
  };
  return new uPlot(opts, data, spec.el);
}

export interface ChartElements {
  requests: HTMLElement;
  errorRate: HTMLElement;
  latency: HTMLElement;
}

export class Charts {
  readonly store = new BucketStore();
  private plots: uPlot[] = [];
  private specs: ChartSpec[];
  private resize: ResizeObserver | null = null;
  private pending = false;

  constructor(els: ChartElements) {
    this.specs = [
      {
        el: els.requests,
        label: "Requests / 10 s",
        color: "#4da3ff",
        fill: "rgba(77, 163, 255, 0.55)",
        format: (v) => formatInt(v),
        axis: (v) => formatCompact(v),
        bars: true,
        minTop: 5,
      },
      {
        el: els.errorRate,
        label: "Error rate",
        color: "#ff6b6b",
        fill: "rgba(255, 107, 107, 0.14)",
        format: (v) => formatPercent(v),
        axis: (v) => `${Number(v.toFixed(2))}%`,
        minTop: 1,
      },
      {
        el: els.latency,
        label: "p95 latency",
        color: "#c58bff",
        fill: "rgba(197, 139, 255, 0.14)",
        format: (v) => formatMs(v),
        axis: (v) => (v >= 1000 ? `${Number((v / 1000).toFixed(1))}s` : `${Math.round(v)}ms`),
        minTop: 10,
      },
    ];
  }

  mount(): void {
    this.destroy();
    const [xs, req, err, lat] = this.store.columns();
    const series = [req, err, lat];
    this.plots = this.specs.map((spec, i) => {
      spec.el.replaceChildren();
      return makeChart(spec, [xs, series[i]!] as uPlot.AlignedData);
    });
    this.resize = new ResizeObserver(() => this.fit());
    for (const spec of this.specs) this.resize.observe(spec.el);
  }

  private fit(): void {
    this.plots.forEach((p, i) => {
      const w = Math.max(200, Math.floor(this.specs[i]!.el.clientWidth));
      if (w !== p.width) p.setSize({ width: w, height: HEIGHT });
    });
  }

  /** Redraws from the store (coalesced to one frame). */
  render(): void {
    if (this.pending || this.plots.length === 0) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      const [xs, req, err, lat] = this.store.columns();
      const series = [req, err, lat];
      this.plots.forEach((p, i) => p.setData([xs, series[i]!] as uPlot.AlignedData));
    });
  }

  destroy(): void {
    this.resize?.disconnect();
    this.resize = null;
    for (const p of this.plots) p.destroy();
    this.plots = [];
  }
}
