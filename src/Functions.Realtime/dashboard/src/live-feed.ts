// The live messages of the one SignalR connection (opened at login), handed
// to whichever views are listening: `events` batches, per-second `metrics`
// ticks, `alert` transitions, the connection's status, and "resynced" (the
// connection is back after a gap: reload what may have been missed).

import type { Alert } from "./api";
import type { LiveEvent, LiveStatus, MetricsTick } from "./live";

function channel<T>() {
  const listeners = new Set<(m: T) => void>();
  return {
    publish(m: T): void {
      for (const l of listeners) {
        try {
          l(m);
        } catch (err) {
          console.warn("live listener failed:", err);
        }
      }
    },
    /** Subscribes; returns the unsubscribe function. */
    subscribe(l: (m: T) => void): () => void {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}

const alerts = channel<Alert>();
const events = channel<LiveEvent[]>();
const ticks = channel<MetricsTick>();
const statuses = channel<LiveStatus>();
const resyncs = channel<void>();
let lastStatus: LiveStatus = "offline";

export const publishAlert = alerts.publish;
export const onAlertMessage = alerts.subscribe;
export const publishLiveEvents = events.publish;
export const onLiveEvents = events.subscribe;
export const publishMetricsTick = ticks.publish;
export const onMetricsTick = ticks.subscribe;
export const publishResynced = resyncs.publish;
export const onResynced = resyncs.subscribe;

export function publishLiveStatus(s: LiveStatus): void {
  lastStatus = s;
  statuses.publish(s);
}

/** The connection's status now; `onLiveStatus` tells of changes. */
export function liveStatus(): LiveStatus {
  return lastStatus;
}

export const onLiveStatus = statuses.subscribe;
