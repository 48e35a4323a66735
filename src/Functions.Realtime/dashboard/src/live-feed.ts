// The live `alert` messages, handed from the one SignalR connection (owned by
// the overview) to whichever view is listening.

import type { Alert } from "./api";

type Listener = (a: Alert) => void;
const listeners = new Set<Listener>();

export function publishAlert(a: Alert): void {
  for (const l of listeners) {
    try {
      l(a);
    } catch (err) {
      console.warn("alert listener failed:", err);
    }
  }
}

/** Subscribes to live alert transitions; returns the unsubscribe function. */
export function onAlertMessage(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}
