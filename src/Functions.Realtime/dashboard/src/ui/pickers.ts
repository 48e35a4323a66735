// The window and environment pickers the traffic views share (overview,
// routes, consumers). Their values live in the URL (`window=`, `env=`), so a
// link opens the same range; the views pass them on to the API unchanged.

import { html } from "./html";
import { setTimeZone, timeZone } from "./timezone";

/** The query windows the API accepts, shortest first. */
export const WINDOWS = ["5m", "15m", "1h", "6h", "24h", "7d", "30d"] as const;

const WINDOW_LABELS: Record<string, string> = {
  "5m": "5 minutes",
  "15m": "15 minutes",
  "1h": "1 hour",
  "6h": "6 hours",
  "24h": "24 hours",
  "7d": "7 days",
  "30d": "30 days",
};

/** The window in the URL if it is one the API accepts, else `fallback`. */
export function windowParam(value: string | undefined, fallback = "1h"): string {
  return value && (WINDOWS as readonly string[]).includes(value) ? value : fallback;
}

export function WindowPicker({ id, value, onChange }: { id: string; value: string; onChange: (w: string) => void }) {
  return html`<label class="picker" for=${id}>Window
    <select id=${id} value=${value} onChange=${(e: Event) => onChange((e.target as HTMLSelectElement).value)}>
      ${WINDOWS.map((w) => html`<option value=${w}>${WINDOW_LABELS[w]}</option>`)}
    </select>
  </label>`;
}

/** All environments (empty value) or one of `options`; a value not among them (from a link) is kept as a choice. */
export function EnvironmentPicker({ id, value, options, onChange }: { id: string; value: string; options: string[]; onChange: (env: string) => void }) {
  const all = value && !options.includes(value) ? [value, ...options] : options;
  return html`<label class="picker" for=${id}>Environment
    <select id=${id} value=${value} onChange=${(e: Event) => onChange((e.target as HTMLSelectElement).value)}>
      <option value="">All environments</option>
      ${all.map((env) => html`<option value=${env}>${env}</option>`)}
    </select>
  </label>`;
}

/** Local time or UTC for every time shown (`#tz-toggle`, `aria-pressed` when UTC). */
export function TimeZoneToggle() {
  const utc = timeZone() === "utc";
  return html`<button type="button" id="tz-toggle" class="btn btn-small tz-toggle" aria-pressed=${utc ? "true" : "false"}
      title="Show times in UTC instead of your browser's time zone" onClick=${() => setTimeZone(utc ? "local" : "utc")}>UTC</button>`;
}
