// The viewer's choice of time zone for every time the dashboard shows: the
// browser's own ("local", the default) or UTC. Kept in localStorage so it
// survives reloads; the shell re-mounts the view when it changes, so every
// formatted time and chart axis follows at once.

export type TimeZoneChoice = "local" | "utc";

const KEY = "pulsestream.tz";
const listeners = new Set<(tz: TimeZoneChoice) => void>();

function read(): TimeZoneChoice {
  try {
    return localStorage.getItem(KEY) === "utc" ? "utc" : "local";
  } catch {
    return "local";
  }
}

let current: TimeZoneChoice = read();

export function timeZone(): TimeZoneChoice {
  return current;
}

export function isUtc(): boolean {
  return current === "utc";
}

export function setTimeZone(tz: TimeZoneChoice): void {
  if (tz === current) return;
  current = tz;
  try {
    localStorage.setItem(KEY, tz);
  } catch {
    // Private mode: the choice lasts for this page only.
  }
  for (const l of listeners) l(tz);
}

/** Subscribes to changes; returns the unsubscribe function. */
export function onTimeZoneChange(l: (tz: TimeZoneChoice) => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** The label a time carries: "UTC", or the browser's zone name ("Europe/Berlin"). */
export function timeZoneLabel(): string {
  if (current === "utc") return "UTC";
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "local time";
  } catch {
    return "local time";
  }
}

/** The calendar and clock fields of a date in the chosen zone. */
export function fieldsOf(d: Date): { y: number; mo: number; d: number; h: number; mi: number; s: number; ms: number } {
  return current === "utc"
    ? { y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, d: d.getUTCDate(), h: d.getUTCHours(), mi: d.getUTCMinutes(), s: d.getUTCSeconds(), ms: d.getUTCMilliseconds() }
    : { y: d.getFullYear(), mo: d.getMonth() + 1, d: d.getDate(), h: d.getHours(), mi: d.getMinutes(), s: d.getSeconds(), ms: d.getMilliseconds() };
}
