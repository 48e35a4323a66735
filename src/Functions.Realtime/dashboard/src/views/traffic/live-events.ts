// Live events as the views show them: the newest first, at most `max`,
// each once (delivery is at least once), only those `matches` accepts, and
// nothing added while paused. Also how many arrived in the last seconds, for
// a rate, counted before the filter and the pause.

import { useEffect, useRef, useState } from "preact/hooks";
import { onLiveEvents } from "../../live-feed";
import type { LiveEvent } from "../../live";
import { DASH, formatClockMs, formatMs, statusClass, toEpochSeconds } from "../../format";
import { html } from "../../ui/html";
import { MethodBadge } from "./TopRoutes";

export interface LiveEventsState {
  events: LiveEvent[];
  /** Events that matched since the view opened (shown or not). */
  matched: number;
  /** Events per second over the last `RATE_SECONDS`, all and matching. */
  rate: { all: number; matching: number };
  clear(): void;
}

const RATE_SECONDS = 10;

export function useLiveEvents(matches: (e: LiveEvent) => boolean, max: number, paused: boolean): LiveEventsState {
  const [events, setEvents] = useState<LiveEvent[]>([]);
  const [matched, setMatched] = useState(0);
  const [rate, setRate] = useState({ all: 0, matching: 0 });
  const seen = useRef(new Set<string>());
  const arrivals = useRef<{ at: number; all: number; matching: number }[]>([]);
  const state = useRef({ matches, max, paused });
  state.current = { matches, max, paused };

  useEffect(() => {
    const off = onLiveEvents((batch) => {
      const { matches: m, max: limit, paused: p } = state.current;
      const fresh: LiveEvent[] = [];
      for (const e of batch) {
        if (!e || typeof e !== "object") continue;
        if (e.eventId) {
          if (seen.current.has(e.eventId)) continue;
          seen.current.add(e.eventId);
          if (seen.current.size > 5000) seen.current = new Set([...seen.current].slice(-2500));
        }
        fresh.push(e);
      }
      const hits = fresh.filter(m);
      arrivals.current.push({ at: Date.now(), all: fresh.length, matching: hits.length });
      if (hits.length > 0) setMatched((n) => n + hits.length);
      if (p || hits.length === 0) return;
      // Newest first, by event time (a batch comes newest first; batches may interleave).
      hits.sort((a, b) => toEpochSeconds(b.timestamp) - toEpochSeconds(a.timestamp));
      setEvents((cur) => [...hits, ...cur].slice(0, limit));
    });
    const timer = setInterval(() => {
      const since = Date.now() - RATE_SECONDS * 1000;
      arrivals.current = arrivals.current.filter((a) => a.at >= since);
      const sum = (k: "all" | "matching") => arrivals.current.reduce((n, a) => n + a[k], 0) / RATE_SECONDS;
      setRate({ all: sum("all"), matching: sum("matching") });
    }, 1000);
    return () => {
      off();
      clearInterval(timer);
    };
  }, []);

  return { events, matched, rate, clear: () => setEvents([]) };
}

export function eventKey(e: LiveEvent, i: number): string {
  return e.eventId ?? `${e.timestamp}-${e.path}-${i}`;
}

/** The event table; with `onSelect`, each row is a button that opens the event's detail. */
export function EventTable({ id, events, selected, onSelect, empty }: {
  id: string;
  events: LiveEvent[];
  selected?: string | null;
  onSelect?: (key: string) => void;
  empty: string;
}) {
  return html`<div class="table-wrap events-wrap" tabindex="0" aria-label="Live events table">
    <table class="table">
      <thead><tr><th>Time</th><th>Method</th><th>Route</th><th>Status</th><th class="t-num">Latency</th><th>Consumer</th></tr></thead>
      <tbody id=${id}>
        ${events.map((e, i) => {
          const key = eventKey(e, i);
          const code = Number(e.statusCode);
          const cls = statusClass(code);
          const route = e.route || e.path || DASH;
          const pick = onSelect ? () => onSelect(key) : undefined;
          return html`<tr key=${key} class=${`ev s${cls} ${selected === key ? "selected" : ""}`} data-status=${String(code)} data-key=${key}
              tabindex=${onSelect ? "0" : null} aria-selected=${onSelect ? String(selected === key) : null}
              onClick=${pick} onKeyDown=${pick ? (ev: KeyboardEvent) => (ev.key === "Enter" || ev.key === " ") && (ev.preventDefault(), pick()) : undefined}>
            <td class="t-time" title=${String(e.timestamp ?? "")}>${formatClockMs(new Date(toEpochSeconds(e.timestamp) * 1000))}</td>
            <td class="t-method"><${MethodBadge} method=${e.method} /></td>
            <td class="t-route" title=${e.path && e.path !== route ? e.path : route}>${route}</td>
            <td class="t-status"><span class=${`status st-${cls}`}>${Number.isFinite(code) ? String(code) : DASH}</span></td>
            <td class="t-num">${formatMs(Number(e.latencyMs))}</td>
            <td class="t-consumer" title=${e.environment ? `environment: ${e.environment}` : null}>${e.consumerId || DASH}</td>
          </tr>`;
        })}
      </tbody>
    </table>
    ${events.length === 0 ? html`<p class="empty" id=${`${id}-empty`}>${empty}</p>` : null}
  </div>`;
}
