// The overview (the landing view): KPI tiles, charts, live events, firing
// alerts, status classes, retention and top routes, written directly against
// the DOM of index.html's #view-overview. It also owns the one live SignalR
// connection and hands its `alert` messages to the other views (live-feed.ts).

import { acknowledgeAlert, describeError, getFiringAlerts, getOverview, getRetention, getTimeseries, ApiError, type Alert } from "./api";
import { hideLogin, type Session } from "./auth";
import { Charts } from "./charts";
import { observeServerTime, serverNow } from "./clock";
import { byId, setText } from "./dom";
import { toEpochSeconds } from "./format";
import { LiveClient, type LiveStatus } from "./live";
import { publishAlert, publishLiveEvents, publishLiveStatus, publishMetricsTick, publishResynced } from "./live-feed";
import { AlertsPanel, EventList, Kpis, renderRetention, renderStatusClasses, renderTopRoutes } from "./panels";

const WINDOW = "15m";
const STEP = "10s";
const OVERVIEW_EVERY_MS = 10_000;
const TIMESERIES_EVERY_MS = 60_000;
const CHART_TICK_MS = 5_000;

/** The overview and the session-wide chrome (who, live status, error banner); started at login, stopped at logout. */
export class Dashboard {
  private readonly kpis = new Kpis();
  private readonly events = new EventList();
  private readonly alerts = new AlertsPanel((a) => this.ack(a));
  private charts: Charts | null = null;
  private live: LiveClient | null = null;
  private timers: ReturnType<typeof setInterval>[] = [];
  private running = false;
  private overviewInFlight = false;
  private seriesInFlight = false;

  start(session: Session): void {
    if (this.running) this.stop();
    this.running = true;
    hideLogin();
    byId("dashboard").hidden = false;
    setText(byId("who-tenant"), session.tenantId || "—");
    setText(byId("who-role"), session.role || "—");
    byId("who-email").textContent = session.email;
    this.hideError();
    this.kpis.reset();
    this.events.clear();

    this.charts = new Charts({
      requests: byId("chart-requests"),
      errorRate: byId("chart-error-rate"),
      latency: byId("chart-latency"),
    });
    this.charts.mount();
    this.alerts.start();

    this.live = new LiveClient({
      status: (s) => {
        this.setLiveStatus(s);
        publishLiveStatus(s);
      },
      events: (batch) => {
        this.events.add(batch);
        publishLiveEvents(batch);
      },
      metrics: (tick) => {
        publishMetricsTick(tick);
        this.kpis.addTick(tick);
        this.charts?.store.addTick(tick);
        this.charts?.render();
      },
      alert: (a) => {
        this.alerts.apply(a);
        publishAlert(a);
      },
      resynced: () => {
        publishResynced();
        void this.refreshOverview();
        void this.refreshSeries();
      },
    });
    this.live.start();

    void this.refreshOverview();
    void this.refreshSeries();
    void this.refreshAlerts();
    void this.refreshRetention();
    this.timers.push(
      setInterval(() => void this.refreshOverview(), OVERVIEW_EVERY_MS),
      setInterval(() => void this.refreshSeries(), TIMESERIES_EVERY_MS),
      setInterval(() => void this.refreshRetention(), TIMESERIES_EVERY_MS),
      setInterval(() => this.charts?.render(), CHART_TICK_MS),
    );
  }

  stop(): void {
    this.running = false;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.live?.stop();
    this.live = null;
    this.charts?.destroy();
    this.charts = null;
    this.events.clear();
    this.alerts.clear();
    this.kpis.reset();
    this.setLiveStatus("offline");
    publishLiveStatus("offline");
    byId("dashboard").hidden = true;
  }

  private setLiveStatus(s: LiveStatus): void {
    const el = byId("live-status");
    setText(el, s);
    el.dataset["state"] = s;
    el.title =
      s === "live" ? "Receiving live traffic" : s === "connecting" ? "Connecting to the live stream…" : "Live stream disconnected";
  }

  private async refreshOverview(): Promise<void> {
    if (!this.running || this.overviewInFlight) return;
    this.overviewInFlight = true;
    const requestedAt = Date.now();
    try {
      const o = await getOverview(WINDOW);
      if (!this.running || !o) return;
      observeServerTime(toEpochSeconds(o.to));
      this.kpis.setOverview(o);
      renderTopRoutes(o.topRoutes ?? []);
      renderStatusClasses(o.statusClasses);
      if (Array.isArray(o.firingAlerts)) this.alerts.setSnapshot(o.firingAlerts, requestedAt);
      setText(byId("updated-at"), `updated ${new Date().toLocaleTimeString()}`);
      this.hideError("overview");
    } catch (err) {
      this.showError(err, "overview");
    } finally {
      this.overviewInFlight = false;
    }
  }

  /** Retention changes rarely (an Owner's setting): read at start, and with the charts' minute refresh. */
  private async refreshRetention(): Promise<void> {
    try {
      const settings = await getRetention();
      if (!this.running || !settings) return;
      renderRetention(settings);
      this.hideError("retention");
    } catch (err) {
      this.showError(err, "retention");
    }
  }

  private async refreshSeries(): Promise<void> {
    if (!this.running || this.seriesInFlight || !this.charts) return;
    this.seriesInFlight = true;
    try {
      const [rc, er, p95] = await Promise.all([
        getTimeseries("request_count", WINDOW, STEP),
        getTimeseries("error_rate", WINDOW, STEP),
        getTimeseries("latency_p95", WINDOW, STEP),
      ]);
      const charts = this.charts;
      if (!this.running || !charts) return;
      // Ticks up to the newest one already received are taken to be in the history.
      const cutoff = Number.isFinite(charts.store.lastTickTs) ? charts.store.lastTickTs : serverNow();
      charts.store.setHistory(rc, er, p95, cutoff);
      charts.render();
      this.hideError("timeseries");
    } catch (err) {
      this.showError(err, "timeseries");
    } finally {
      this.seriesInFlight = false;
    }
  }

  private async refreshAlerts(): Promise<void> {
    const requestedAt = Date.now();
    try {
      const res = await getFiringAlerts();
      if (this.running && Array.isArray(res?.items)) this.alerts.setSnapshot(res.items, requestedAt);
    } catch (err) {
      // The overview carries the firing alerts too; only report real failures.
      if (!(err instanceof ApiError && err.status === 404)) this.showError(err, "alerts");
    }
  }

  private async ack(a: Alert): Promise<void> {
    try {
      await acknowledgeAlert(String(a.id));
      this.alerts.apply({ ...a, state: "acknowledged" });
    } catch (err) {
      this.showError(err, "ack");
    }
  }

  // ---- the error banner ----------------------------------------------------

  private errorSource: string | null = null;

  private showError(err: unknown, source: string): void {
    if (err instanceof ApiError && err.unauthorized) return; // the login screen says it
    if (!this.running) return;
    const banner = byId("app-error");
    setText(byId("app-error-text"), describeError(err));
    banner.hidden = false;
    this.errorSource = source;
  }

  private hideError(source?: string): void {
    if (source && this.errorSource !== source) return;
    byId("app-error").hidden = true;
    this.errorSource = null;
  }

  dismissError(): void {
    this.hideError();
  }
}
