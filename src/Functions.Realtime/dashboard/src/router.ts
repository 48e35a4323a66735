// Hash routes with a query: `#/alerts?state=firing&id=…`. Everything a view
// shows (its window, filters and selection) lives here, so a link can be
// shared and the back button works; the views read it through useRoute().

import { useEffect, useState } from "preact/hooks";

export type Params = Record<string, string>;

export interface Route {
  view: string;
  params: Params;
}

export const VIEWS = ["overview", "routes", "consumers", "live", "alerts", "rules", "slos", "channels", "escalation", "silences", "maintenance", "keys", "members", "audit", "connections", "settings"] as const;

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#\/?/, "");
  const q = raw.indexOf("?");
  const path = q >= 0 ? raw.slice(0, q) : raw;
  const query = q >= 0 ? raw.slice(q + 1) : "";
  const view = decodeURIComponent(path.split("/")[0] ?? "") || "overview";
  const params: Params = {};
  for (const [k, v] of new URLSearchParams(query)) if (v !== "") params[k] = v;
  return { view, params };
}

/** The href of a view with its parameters; empty values are left out. */
export function hrefFor(view: string, params: Partial<Params> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v != null && v !== "") q.set(k, v);
  const query = q.toString();
  return `#/${view}${query ? `?${query}` : ""}`;
}

export function currentRoute(): Route {
  return parseHash(location.hash);
}

/**
 * Goes to a view. `replace` swaps the history entry (filters typed into a
 * form), otherwise a new entry is pushed (a selection the back button undoes).
 */
export function navigate(view: string, params: Partial<Params> = {}, replace = false): void {
  const href = hrefFor(view, params);
  if (href === location.hash) return;
  if (replace) {
    history.replaceState(history.state, "", href);
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  } else {
    location.hash = href;
  }
}

/** Changes some parameters of the current view (null or "" removes one). */
export function setParams(patch: Partial<Record<string, string | null>>, replace = false): void {
  const cur = currentRoute();
  const next: Params = { ...cur.params };
  for (const [k, v] of Object.entries(patch)) {
    if (v == null || v === "") delete next[k];
    else next[k] = v;
  }
  navigate(cur.view, next, replace);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const on = () => setRoute(currentRoute());
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return route;
}
