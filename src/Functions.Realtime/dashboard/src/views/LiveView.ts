// The live tail (`#/live?status=5xx&route=…&method=…&consumer=…&minLatency=…&env=…`):
// the tenant's events as they arrive, filtered, newest first, with pause and
// resume, the current rate, and an event's whole detail. The live feed sends
// at most 200 events per 250 ms, so above 800 events/s it is a sample, and
// the view says so against the true rate from the per-second figures.

import { useEffect, useState } from "preact/hooks";
import { formatBytes, formatInt, formatMs, formatRate, statusClass, toEpochSeconds } from "../format";
import { onMetricsTick } from "../live-feed";
import type { LiveEvent } from "../live";
import { setParams, type Params } from "../router";
import { getEvents, type EventFilters } from "../traffic-api";
import { useAsync } from "../ui/async";
import { formatTime } from "../ui/format";
import { html } from "../ui/html";
import { EventTable, eventKey, useLiveEvents } from "./traffic/live-events";

const MAX_ROWS = 500;
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const STATUSES = ["2xx", "3xx", "4xx", "5xx"];

interface Filters {
  route: string;
  method: string;
  status: string;
  consumer: string;
  minLatency: string;
  env: string;
}

function filtersOf(p: Params): Filters {
  return { route: p["route"] ?? "", method: p["method"] ?? "", status: p["status"] ?? "", consumer: p["consumer"] ?? "", minLatency: p["minLatency"] ?? "", env: p["env"] ?? "" };
}

/** Whether an event passes the filters, as GET /api/v1/events applies them. */
export function passes(f: Filters, e: LiveEvent): boolean {
  if (f.route && e.route !== f.route) return false;
  if (f.method && String(e.method).toUpperCase() !== f.method) return false;
  if (f.status) {
    const code = Number(e.statusCode);
    if (/^[1-5]xx$/.test(f.status) ? statusClass(code) !== f.status : String(code) !== f.status) return false;
  }
  if (f.consumer && e.consumerId !== f.consumer) return false;
  if (f.env && (e.environment ?? "production") !== f.env) return false;
  const min = Number(f.minLatency);
  if (f.minLatency && Number.isFinite(min) && !(Number(e.latencyMs) >= min)) return false;
  return true;
}

/** Requests per second over the last 10 seconds of live ticks: the tenant's true rate, sampled or not. */
function useTrueRate(): number {
  const [ticks, setTicks] = useState<{ t: number; n: number }[]>([]);
  useEffect(
    () =>
      onMetricsTick((tick) => {
        const t = toEpochSeconds(tick.ts);
        setTicks((cur) => [...cur.filter((x) => x.t > t - 10), { t, n: Number(tick.requests) || 0 }]);
      }),
    [],
  );
  return ticks.reduce((n, x) => n + x.n, 0) / 10;
}

function EventDetail({ event, close }: { event: LiveEvent; close: () => void }) {
  const attributes = Object.entries(event.attributes ?? {});
  const rows: [string, unknown][] = [
    ["Time", formatTime(event.timestamp)], ["Received", event.receivedAt ? formatTime(event.receivedAt) : "—"],
    ["Method", event.method], ["Path", event.path], ["Route", event.route ?? "—"], ["Status", String(event.statusCode)],
    ["Latency", formatMs(Number(event.latencyMs))], ["Request size", formatBytes(event.requestBytes ?? null)],
    ["Response size", formatBytes(event.responseBytes ?? null)], ["Consumer", event.consumerId || "—"],
    ["Environment", event.environment ?? "production"], ["Event id", event.eventId ?? "—"],
  ];
  return html`<aside class="card event-detail" id="live-detail" aria-label="Event detail">
    <div class="card-head"><h2>Event</h2><button type="button" class="btn btn-small" id="live-detail-close" onClick=${close}>Close</button></div>
    <dl class="facts">${rows.map(([k, v]) => html`<dt>${k}</dt><dd class="mono">${v}</dd>`)}</dl>
    <h3>Attributes</h3>
    ${attributes.length === 0
      ? html`<p class="muted" id="live-detail-no-attributes">None.</p>`
      : html`<dl class="facts" id="live-detail-attributes">${attributes.map(([k, v]) => html`<dt class="mono">${k}</dt><dd class="mono">${v}</dd>`)}</dl>`}
  </aside>`;
}

/** What makes two copies of an event the same one: its id, or without one, its fields. */
export function sameEvent(e: LiveEvent): string {
  return e.eventId ? `id:${e.eventId}` : [Date.parse(e.timestamp), e.method, e.path, e.statusCode, e.latencyMs, e.consumerId ?? "", e.environment ?? "production"].join("|");
}

export function LiveView({ params }: { params: Params }) {
  const f = filtersOf(params);
  const [paused, setPaused] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const live = useLiveEvents((e) => passes(f, e), MAX_ROWS, paused);
  const trueRate = useTrueRate();
  const query: EventFilters = {
    route: f.route || undefined, method: f.method || undefined, status: f.status || undefined,
    consumerId: f.consumer || undefined, environment: f.env || undefined, minLatencyMs: f.minLatency || undefined,
  };
  // What was stored before the view opened, so it does not start empty.
  const stored = useAsync(() => getEvents(query, 50), [JSON.stringify(query)]);
  useEffect(() => live.clear(), [JSON.stringify(f)]);
  // The stored read can finish after events that arrived live were stored too: each event is shown once, known by
  // its id, or without one by what it says (when, what, how it went, for whom).
  const seen = new Set(live.events.map(sameEvent));
  const earlier = ((stored.data?.items ?? []) as LiveEvent[]).filter((e) => !seen.has(sameEvent(e)));
  const events = [...live.events, ...earlier].slice(0, MAX_ROWS);
  const chosen = events.find((e, i) => eventKey(e, i) === selected) ?? null;
  const delivered = live.rate.all;
  const sampled = trueRate > 0 && delivered < trueRate * 0.9;
  const set = (k: keyof Filters) => (e: Event) => setParams({ [k]: (e.target as HTMLInputElement | HTMLSelectElement).value }, true);

  return html`<section id="view-live">
    <div class="section-head">
      <h1>Live tail</h1>
      <span class="muted" id="live-rate-line" aria-live="polite">
        ${formatRate(live.rate.matching)} matching events/s
        ${sampled
          ? html` · <strong id="live-sample">showing ${formatInt(delivered)} of ${formatInt(trueRate)} events/s</strong> (a sample: the live feed carries at most 800 events/s)`
          : html` · ${formatRate(trueRate)} events/s in all`}
      </span>
      <button type="button" class="btn" id="live-pause" aria-pressed=${paused ? "true" : "false"} onClick=${() => setPaused(!paused)}>${paused ? "Resume" : "Pause"}</button>
    </div>
    <form class="card form-inline" id="live-filters" onSubmit=${(e: Event) => e.preventDefault()}>
      <label for="live-filter-route">Route <input id="live-filter-route" value=${f.route} placeholder="/v1/orders/{id}" maxLength=${2048} onChange=${set("route")} /></label>
      <label for="live-filter-method">Method <select id="live-filter-method" value=${f.method} onChange=${set("method")}>
        <option value="">Any</option>${METHODS.map((m) => html`<option value=${m}>${m}</option>`)}</select></label>
      <label for="live-filter-status">Status <select id="live-filter-status" value=${f.status} onChange=${set("status")}>
        <option value="">Any</option>${STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}</select></label>
      <label for="live-filter-consumer">Consumer <input id="live-filter-consumer" value=${f.consumer} maxLength=${128} onChange=${set("consumer")} /></label>
      <label for="live-filter-min-latency">Min latency (ms) <input id="live-filter-min-latency" type="number" min="0" max="3600000" value=${f.minLatency} onChange=${set("minLatency")} /></label>
      <label for="live-filter-env">Environment <input id="live-filter-env" value=${f.env} maxLength=${32} onChange=${set("env")} /></label>
      <button type="button" class="btn btn-small" id="live-clear" onClick=${() => setParams({ route: null, method: null, status: null, consumer: null, minLatency: null, env: null }, true)}>Clear filters</button>
    </form>
    <div class=${chosen ? "columns" : ""}>
      <section class="card events-card" aria-label="Events">
        <div class="card-head"><h2>Events</h2>
          <span class="muted" id="live-count">${paused ? "paused · " : ""}${formatInt(live.matched)} matched since opened${earlier.length ? ` · ${formatInt(earlier.length)} stored before` : ""}</span>
        </div>
        <${EventTable} id="live-events" events=${events} selected=${selected} onSelect=${setSelected}
          empty=${stored.loading ? "Loading…" : "No events match yet; they appear here as they arrive."} />
      </section>
      ${chosen ? html`<${EventDetail} event=${chosen} close=${() => setSelected(null)} />` : null}
    </div>
  </section>`;
}
