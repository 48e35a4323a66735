// Formats the alerting views share (on top of ../format.ts).

import { DASH, formatDateTime, formatDuration, formatValue, toEpochSeconds } from "../format";
import type { Person } from "../alerting-api";

/** "2026-12-01 14:03:07" in the viewer's chosen zone (" UTC" added for UTC), or — . */
export function formatTime(ts: string | null | undefined): string {
  const t = toEpochSeconds(ts);
  return Number.isFinite(t) ? formatDateTime(new Date(t * 1000)) : DASH;
}

/** Seconds as "42 s", "5 min", … or — . */
export function formatSeconds(s: number | null | undefined): string {
  return typeof s === "number" && Number.isFinite(s) ? formatDuration(s) : DASH;
}

export function formatPerson(p: Person | string | null | undefined): string {
  if (p == null) return DASH;
  if (typeof p === "string") return p;
  return p.email || p.userId || DASH;
}

/** A group key ("route=/v1/checkout") or an object of them. */
export function formatGroup(group: unknown): string {
  if (group == null || group === "") return "all traffic";
  if (typeof group === "string") return group;
  if (typeof group === "object")
    return Object.entries(group as Record<string, unknown>)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(", ");
  return String(group);
}

export { formatValue };

/** A metric value in the unit a person reads it in. */
export function formatMetric(metric: string, v: number | null | undefined): string {
  if (typeof v !== "number" || !Number.isFinite(v)) return DASH;
  if (metric.endsWith("error_rate")) return `${(v * 100).toFixed(2)} %`;
  if (metric.startsWith("latency_")) return `${formatValue(v)} ms`;
  return formatValue(v);
}
