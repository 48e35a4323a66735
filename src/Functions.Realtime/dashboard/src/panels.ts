// The dashboard's panels other than the charts: KPI tiles, the live event
// list, the firing-alerts panel, top routes and status classes.

import type { Alert, Overview, RetentionSettings, TopRoute } from "./api";
import { serverNow } from "./clock";
import { byId, flash, h, setText } from "./dom";
import {
  DASH,
  formatClock,
  formatClockMs,
  formatDuration,
  formatInt,
  formatMs,
  formatRate,
  formatRatio,
  formatValue,
  statusClass,
  toEpochSeconds,
} from "./format";
import type { LiveEvent, MetricsTick } from "./live";

// ---- KPI tiles -------------------------------------------------------------

/**
 * KPI tiles. The overview (every 10 s) sets them all; every live `metrics`
 * tick newer than the overview's `to` adds its requests to #kpi-requests
 * at once, so the count moves with the traffic between refreshes.
 */
export class Kpis {
  private base = 0;
  private cutoff = Number.POSITIVE_INFINITY;
  private liveAdded = 0;
  private loaded = false;
  private readonly requests = byId("kpi-requests");

  setOverview(o: Overview): void {
    const t = o.totals;
    this.base = Math.max(0, Math.round(Number(t.requests) || 0));
    const to = toEpochSeconds(o.to);
    this.cutoff = Number.isFinite(to) ? to : serverNow();
    this.liveAdded = 0;
    this.loaded = true;
    this.showRequests(false);
    setText(byId("kpi-rpm"), formatRate(t.rpm));
    setText(byId("kpi-error-rate"), formatRatio(t.errorRate));
    setText(byId("kpi-p50"), formatMs(t.p50));
    setText(byId("kpi-p95"), formatMs(t.p95));
    setText(byId("kpi-p99"), formatMs(t.p99));
    setText(byId("kpi-errors-sub"), `${formatInt(t.errors4xx ?? 0)} 4xx · ${formatInt(t.errors5xx ?? 0)} 5xx`);
    const rate = Number(t.errorRate) || 0;
    byId("kpi-error-rate").closest(".tile")?.setAttribute("data-level", rate >= 0.05 ? "bad" : rate >= 0.01 ? "warn" : "ok");
  }

  addTick(tick: MetricsTick): void {
    if (!this.loaded) return;
    const t = toEpochSeconds(tick.ts);
    const n = Number(tick.requests);
    if (!Number.isFinite(t) || !Number.isFinite(n) || n <= 0 || t < this.cutoff) return;
    this.liveAdded += Math.round(n);
    this.showRequests(true);
  }

  private showRequests(animate: boolean): void {
    const text = formatInt(this.base + this.liveAdded);
    if (this.requests.textContent !== text) {
      this.requests.textContent = text;
      if (animate) flash(this.requests);
    }
  }

  reset(): void {
    this.base = 0;
    this.liveAdded = 0;
    this.loaded = false;
    this.cutoff = Number.POSITIVE_INFINITY;
    for (const id of ["kpi-requests", "kpi-rpm", "kpi-error-rate", "kpi-p50", "kpi-p95", "kpi-p99"]) {
      byId(id).textContent = id === "kpi-requests" ? "0" : DASH;
    }
    byId("kpi-errors-sub").textContent = "";
  }
}

// ---- live event list -------------------------------------------------------

export const MAX_EVENT_ROWS = 200;

export class EventList {
  private readonly body = byId<HTMLTableSectionElement>("event-list");
  private readonly empty = byId("event-empty");
  private readonly counter = byId("event-count");
  private paused = false;
  private seen = new Set<string>();
  private seenOrder: string[] = [];
  private total = 0;

  constructor() {
    const pause = byId<HTMLButtonElement>("event-pause");
    pause.addEventListener("click", () => {
      this.paused = !this.paused;
      pause.textContent = this.paused ? "Resume" : "Pause";
      pause.setAttribute("aria-pressed", String(this.paused));
    });
  }

  /** Adds a batch (in any order); the newest event ends up on top. */
  add(batch: LiveEvent[]): void {
    if (this.paused || batch.length === 0) return;
    const frag = document.createDocumentFragment();
    const rows: HTMLTableRowElement[] = [];
    // Oldest first, by event time (the server may send the batch newest first).
    const time = (e: LiveEvent) => {
      const t = toEpochSeconds(e?.timestamp);
      return Number.isFinite(t) ? t : Number.POSITIVE_INFINITY;
    };
    const ordered = batch
      .map((e, i) => ({ e, i, t: time(e) }))
      .sort((x, y) => x.t - y.t || x.i - y.i)
      .map((x) => x.e);
    for (const e of ordered) {
      if (!e || typeof e !== "object") continue;
      if (e.eventId) {
        if (this.seen.has(e.eventId)) continue; // at-least-once delivery
        this.remember(e.eventId);
      }
      rows.push(this.row(e));
    }
    for (let i = rows.length - 1; i >= 0; i--) frag.append(rows[i]!);
    this.body.prepend(frag);
    while (this.body.childElementCount > MAX_EVENT_ROWS) this.body.lastElementChild?.remove();
    this.total += rows.length;
    this.updateChrome();
  }

  private remember(id: string): void {
    this.seen.add(id);
    this.seenOrder.push(id);
    if (this.seenOrder.length > 2000) {
      for (const old of this.seenOrder.splice(0, 1000)) this.seen.delete(old);
    }
  }

  private row(e: LiveEvent): HTMLTableRowElement {
    const code = Number(e.statusCode);
    const cls = statusClass(code);
    const ts = new Date(toEpochSeconds(e.timestamp) * 1000);
    const route = e.route || e.path || DASH;
    const method = String(e.method ?? "").toUpperCase();
    return h(
      "tr",
      { class: `ev s${cls}`, "data-status": String(code) },
      h("td", { class: "t-time", text: formatClockMs(ts), title: String(e.timestamp ?? "") }),
      h("td", { class: "t-method" }, h("span", { class: `method m-${method.toLowerCase()}`, text: method || DASH })),
      h("td", { class: "t-route", text: route, title: e.path && e.path !== route ? e.path : route }),
      h("td", { class: "t-status" }, h("span", { class: `status st-${cls}`, text: Number.isFinite(code) ? String(code) : DASH })),
      h("td", { class: "t-num", text: formatMs(Number(e.latencyMs)) }),
      h("td", { class: "t-consumer", text: e.consumerId || DASH, title: e.environment ? `environment: ${e.environment}` : null }),
    );
  }

  private updateChrome(): void {
    this.empty.hidden = this.body.childElementCount > 0;
    setText(this.counter, this.total > 0 ? `${formatInt(this.total)} received` : "");
  }

  clear(): void {
    this.body.replaceChildren();
    this.seen.clear();
    this.seenOrder = [];
    this.total = 0;
    this.updateChrome();
  }
}

// ---- firing alerts ---------------------------------------------------------

function describeGroup(group: unknown): string {
  if (group == null || group === "") return "";
  if (typeof group === "string") return group;
  if (typeof group === "object") {
    return Object.entries(group as Record<string, unknown>)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(", ");
  }
  return String(group);
}

export class AlertsPanel {
  private readonly list = byId<HTMLUListElement>("alerts-list");
  private readonly empty = byId("alerts-empty");
  private readonly count = byId("alerts-count");
  private alerts = new Map<string, Alert>();
  /** Live transitions, by alert id, with the client time they arrived. */
  private liveAt = new Map<string, { state: string; at: number; alert: Alert }>();
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly acknowledge: (a: Alert) => Promise<void>) {}

  start(): void {
    this.timer ??= setInterval(() => this.render(), 15_000);
  }

  /**
   * Replaces the set with a snapshot (overview or /alerts?state=firing)
   * fetched at client time `requestedAt`. Live transitions that arrived
   * after the request was sent win over the snapshot.
   */
  setSnapshot(firing: Alert[], requestedAt: number): void {
    const next = new Map<string, Alert>();
    for (const a of firing) if (a?.id != null && (a.state ?? "firing") === "firing") next.set(String(a.id), a);
    for (const [id, live] of this.liveAt) {
      if (live.at < requestedAt) continue;
      if (live.state === "firing") next.set(id, live.alert);
      else next.delete(id);
    }
    this.alerts = next;
    this.render();
  }

  /** A live `alert` transition. */
  apply(a: Alert): void {
    if (a?.id == null) return;
    const id = String(a.id);
    this.liveAt.set(id, { state: a.state, at: Date.now(), alert: a });
    if (this.liveAt.size > 500) {
      const cutoff = Date.now() - 5 * 60_000;
      for (const [k, v] of this.liveAt) if (v.at < cutoff) this.liveAt.delete(k);
    }
    if (a.state === "firing") this.alerts.set(id, a);
    else this.alerts.delete(id);
    this.render();
  }

  private render(): void {
    const items = [...this.alerts.values()].sort((x, y) => {
      const sev = (s: string) => ({ critical: 0, error: 1, warning: 2, info: 3 })[s?.toLowerCase?.()] ?? 4;
      return sev(x.severity) - sev(y.severity) || toEpochSeconds(y.startedAt) - toEpochSeconds(x.startedAt);
    });
    this.list.replaceChildren(...items.map((a) => this.item(a)));
    this.empty.hidden = items.length > 0;
    setText(this.count, items.length > 0 ? String(items.length) : "");
    this.count.hidden = items.length === 0;
    document.title = items.length > 0 ? `(${items.length} firing) PulseStream` : "PulseStream";
  }

  private item(a: Alert): HTMLLIElement {
    const sev = String(a.severity || "info").toLowerCase();
    const started = toEpochSeconds(a.startedAt);
    const since = Number.isFinite(started)
      ? `since ${formatClock(new Date(started * 1000))} (${formatDuration(serverNow() - started)})`
      : "";
    const group = describeGroup(a.group);
    const ack = h("button", { type: "button", class: "btn btn-small", text: "Ack", title: "Acknowledge this alert" });
    ack.addEventListener("click", async () => {
      ack.disabled = true;
      ack.textContent = "…";
      try {
        await this.acknowledge(a);
      } finally {
        ack.disabled = false;
        ack.textContent = "Ack";
      }
    });
    return h(
      "li",
      { class: `alert sev-${sev}`, "data-alert-id": String(a.id), "data-severity": sev },
      h(
        "div",
        { class: "alert-main" },
        h("span", { class: `badge sev-${sev}`, text: sev }),
        h("a", { class: "alert-name", href: `#/alerts?id=${encodeURIComponent(String(a.id))}`, text: a.ruleName || String(a.ruleId ?? "alert") }),
      ),
      h(
        "div",
        { class: "alert-meta" },
        h("span", { text: `value ${formatValue(a.value)}` }),
        group ? h("span", { class: "alert-group", text: group }) : null,
        since ? h("span", { text: since }) : null,
      ),
      h("div", { class: "alert-actions" }, ack),
    );
  }

  clear(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.alerts.clear();
    this.liveAt.clear();
    this.render();
    document.title = "PulseStream";
  }
}

// ---- top routes and status classes ----------------------------------------

export function renderTopRoutes(routes: TopRoute[]): void {
  const body = byId<HTMLTableSectionElement>("top-routes");
  const rows = (routes ?? []).map((r) => {
    const method = String(r.method ?? "").toUpperCase();
    const er = Number(r.errorRate) || 0;
    return h(
      "tr",
      {},
      h("td", { class: "t-method" }, h("span", { class: `method m-${method.toLowerCase()}`, text: method || DASH })),
      h("td", { class: "t-route", text: r.route, title: r.route }),
      h("td", { class: "t-num", text: formatInt(r.requests) }),
      h("td", { class: `t-num ${er >= 0.05 ? "bad" : er >= 0.01 ? "warn" : ""}`, text: formatRatio(r.errorRate) }),
      h("td", { class: "t-num", text: formatMs(r.p95) }),
    );
  });
  body.replaceChildren(...rows);
  byId("top-routes-empty").hidden = rows.length > 0;
}

const CLASSES = ["2xx", "3xx", "4xx", "5xx"] as const;

export function renderStatusClasses(counts: Record<string, number> | undefined): void {
  const values = CLASSES.map((c) => Math.max(0, Number(counts?.[c]) || 0));
  const total = values.reduce((a, b) => a + b, 0);
  const bar = byId("status-bar");
  const legend = byId("status-legend");
  bar.replaceChildren(
    ...CLASSES.map((c, i) => {
      const seg = h("span", { class: `seg st-${c}`, title: `${c}: ${formatInt(values[i])}` });
      seg.style.flexGrow = String(total > 0 ? values[i] : 0); // CSSOM, allowed under a strict CSP
      return seg;
    }),
  );
  bar.classList.toggle("empty", total === 0);
  legend.replaceChildren(
    ...CLASSES.map((c, i) =>
      h(
        "li",
        {},
        h("span", { class: `dot st-${c}` }),
        h("span", { class: "lg-label", text: c }),
        h("span", { class: "lg-value", text: formatInt(values[i]) }),
        h("span", { class: "lg-pct", text: total > 0 ? `${((values[i]! / total) * 100).toFixed(1)} %` : "" }),
      ),
    ),
  );
}

const RETENTION_TIERS = ["raw", "minute", "hour", "day", "audit"] as const;

/** "14 d", "13 mo"-style is ambiguous for 395 days; days are what the API and the settings speak. */
const formatDays = (days: number) => `${formatInt(days)} d`;

/** The tenant's effective retention per tier; an overridden tier is marked and its default given in the title. */
export function renderRetention(settings: RetentionSettings): void {
  byId("retention-list").replaceChildren(
    ...RETENTION_TIERS.map((tier) => {
      const t = settings[tier];
      return h(
        "li",
        { "data-tier": tier, title: t.overridden ? `set for this tenant (default ${formatDays(t.defaultDays)})` : "default" },
        h("span", { class: "lg-label", text: tier }),
        h("span", { class: "lg-value", text: formatDays(t.days) }),
        t.overridden ? h("span", { class: "lg-pct", text: "custom" }) : null,
      );
    }),
  );
  byId("retention-empty").hidden = true;
}

