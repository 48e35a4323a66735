// What lasts for a signed-in session, whatever view is shown: who is signed
// in, the one live SignalR connection (its messages go to the views through
// live-feed.ts), the firing alerts behind the page title (firing.ts), and the
// error banner.

import { ApiError, describeError, getFiringAlerts } from "./api";
import { hideLogin, type Session } from "./auth";
import { byId, setText } from "./dom";
import { firingAlerts } from "./firing";
import { LiveClient, type LiveStatus } from "./live";
import { publishAlert, publishLiveEvents, publishLiveStatus, publishMetricsTick, publishResynced } from "./live-feed";

const FIRING_EVERY_MS = 60_000;

export class Dashboard {
  private live: LiveClient | null = null;
  private timers: ReturnType<typeof setInterval>[] = [];
  private running = false;

  start(session: Session): void {
    if (this.running) this.stop();
    this.running = true;
    hideLogin();
    byId("dashboard").hidden = false;
    setText(byId("who-tenant"), session.tenantId || "—");
    setText(byId("who-role"), session.role || "—");
    byId("who-email").textContent = session.email;
    this.hideError();

    this.live = new LiveClient({
      status: (s) => {
        this.setLiveStatus(s);
        publishLiveStatus(s);
      },
      events: publishLiveEvents,
      metrics: publishMetricsTick,
      alert: (a) => {
        firingAlerts.apply(a);
        publishAlert(a);
      },
      resynced: () => {
        publishResynced();
        void this.refreshFiring();
      },
    });
    this.live.start();
    void this.refreshFiring();
    this.timers.push(setInterval(() => void this.refreshFiring(), FIRING_EVERY_MS));
  }

  stop(): void {
    this.running = false;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.live?.stop();
    this.live = null;
    firingAlerts.clear();
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

  private async refreshFiring(): Promise<void> {
    const requestedAt = Date.now();
    try {
      const res = await getFiringAlerts();
      if (this.running && Array.isArray(res?.items)) firingAlerts.setSnapshot(res.items, requestedAt);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) this.showError(err);
    }
  }

  // ---- the error banner ----------------------------------------------------

  private showError(err: unknown): void {
    if (err instanceof ApiError && err.unauthorized) return; // the login screen says it
    if (!this.running) return;
    setText(byId("app-error-text"), describeError(err));
    byId("app-error").hidden = false;
  }

  private hideError(): void {
    byId("app-error").hidden = true;
  }

  dismissError(): void {
    this.hideError();
  }
}
