// Number, time and text formatting shared by the views. Formats are fixed to
// en-US digits ("1,234", "12.3 ms", "4.56 %") whatever the browser locale, so
// what a person reads and what a test checks are the same.

import { fieldsOf, isUtc } from "./ui/timezone";

const intFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });

export const DASH = "—";

function isNum(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

/** 1234 → "1,234". */
export function formatInt(v: number | null | undefined): string {
  return isNum(v) ? intFormat.format(Math.round(v)) : DASH;
}

/** Axis labels: 1234 → "1.2K". */
export function formatCompact(v: number | null | undefined): string {
  return isNum(v) ? compact.format(v) : "";
}

/** Requests per minute: one decimal below 100, else whole numbers. */
export function formatRate(v: number | null | undefined): string {
  if (!isNum(v)) return DASH;
  return Math.abs(v) < 100 ? oneDecimal.format(v) : intFormat.format(Math.round(v));
}

/** 12.34 → "12.3 ms"; from a second up, whole milliseconds ("3,534 ms"), so tiles and columns stay narrow. */
export function formatMs(v: number | null | undefined): string {
  if (!isNum(v)) return DASH;
  return Math.abs(v) >= 1000 ? `${intFormat.format(Math.round(v))} ms` : `${oneDecimal.format(v)} ms`;
}

/** Axis labels for milliseconds: "250 ms", "1.5 s". */
export function formatMsAxis(v: number): string {
  return v >= 1000 ? `${Number((v / 1000).toFixed(1))} s` : `${Math.round(v)} ms`;
}

/** A 0..1 ratio → "4.56 %". */
export function formatRatio(v: number | null | undefined): string {
  return isNum(v) ? `${(v * 100).toFixed(2)} %` : DASH;
}

/** A value already in percent → "4.56 %". */
export function formatPercent(v: number | null | undefined): string {
  return isNum(v) ? `${v.toFixed(2)} %` : DASH;
}

/** A measured value of unknown unit: up to 4 significant digits. */
export function formatValue(v: unknown): string {
  if (!isNum(v)) return v == null ? DASH : String(v);
  if (v !== 0 && Math.abs(v) < 1) return String(Number(v.toPrecision(3)));
  return new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 }).format(v);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** Wall-clock time "14:03:07" in the viewer's chosen zone (ui/timezone.ts). */
export function formatClock(d: Date): string {
  if (Number.isNaN(d.getTime())) return DASH;
  const f = fieldsOf(d);
  return `${pad(f.h)}:${pad(f.mi)}:${pad(f.s)}`;
}

/** Wall-clock time with milliseconds "14:03:07.123" in the viewer's chosen zone. */
export function formatClockMs(d: Date): string {
  if (Number.isNaN(d.getTime())) return DASH;
  return `${formatClock(d)}.${pad(fieldsOf(d).ms, 3)}`;
}

/** Date and time "2026-12-01 14:03:07" in the viewer's chosen zone, " UTC" added when that is UTC. */
export function formatDateTime(d: Date): string {
  if (Number.isNaN(d.getTime())) return DASH;
  const f = fieldsOf(d);
  return `${f.y}-${pad(f.mo)}-${pad(f.d)} ${formatClock(d)}${isUtc() ? " UTC" : ""}`;
}

/** "42 s", "5 min", "3 h 20 min", "2 d 4 h". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/**
 * A timestamp from the server as epoch seconds: RFC 3339 text, epoch
 * milliseconds or epoch seconds. NaN when it is none of these.
 */
export function toEpochSeconds(ts: unknown): number {
  if (typeof ts === "number") return ts > 1e11 ? ts / 1000 : ts;
  if (typeof ts === "string") {
    const n = Number(ts);
    if (ts.trim() !== "" && Number.isFinite(n)) return toEpochSeconds(n);
    return Date.parse(ts) / 1000;
  }
  return Number.NaN;
}

/** The status class of an HTTP status code: "2xx" … "5xx", or "other". */
export function statusClass(code: number): string {
  if (code >= 100 && code < 600) return `${Math.floor(code / 100)}xx`;
  return "other";
}

/** 1536 → "1.5 KiB"; bytes as people read them. */
export function formatBytes(v: number | null | undefined): string {
  if (!isNum(v)) return DASH;
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let n = v;
  let u = 0;
  while (Math.abs(n) >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return u === 0 ? `${intFormat.format(n)} B` : `${oneDecimal.format(n)} ${units[u]}`;
}
