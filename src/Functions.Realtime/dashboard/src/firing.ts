// The tenant's firing alerts for the whole session: a snapshot (the overview
// or GET /alerts?state=firing) merged with the live `alert` transitions, so
// that a transition that arrived after a snapshot was asked for wins over it.
// The page title carries the count whatever view is shown; the overview's
// panel lists them.

import type { Alert } from "./api";
import { toEpochSeconds } from "./format";

type Listener = (alerts: Alert[]) => void;

const SEVERITY_ORDER: Record<string, number> = { critical: 0, error: 1, warning: 2, info: 3 };

export class FiringAlerts {
  private alerts = new Map<string, Alert>();
  /** Live transitions, by alert id, with the client time they arrived. */
  private liveAt = new Map<string, { state: string; at: number; alert: Alert }>();
  private readonly listeners = new Set<Listener>();

  setSnapshot(firing: Alert[], requestedAt: number): void {
    const next = new Map<string, Alert>();
    for (const a of firing) if (a?.id != null && (a.state ?? "firing") === "firing") next.set(String(a.id), a);
    for (const [id, live] of this.liveAt) {
      if (live.at < requestedAt) continue;
      if (live.state === "firing") next.set(id, live.alert);
      else next.delete(id);
    }
    this.alerts = next;
    this.changed();
  }

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
    this.changed();
  }

  /** Most severe first, then newest. */
  list(): Alert[] {
    return [...this.alerts.values()].sort(
      (x, y) =>
        (SEVERITY_ORDER[String(x.severity).toLowerCase()] ?? 4) - (SEVERITY_ORDER[String(y.severity).toLowerCase()] ?? 4) ||
        toEpochSeconds(y.startedAt) - toEpochSeconds(x.startedAt),
    );
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  clear(): void {
    this.alerts.clear();
    this.liveAt.clear();
    this.changed();
  }

  private changed(): void {
    const items = this.list();
    document.title = items.length > 0 ? `(${items.length} firing) PulseStream` : "PulseStream";
    for (const l of this.listeners) l(items);
  }
}

/** The session's one store (session.ts fills it; views read it). */
export const firingAlerts = new FiringAlerts();
