// One state for every panel of a traffic page: the overview (tiles, status
// classes, top routes, firing alerts) and its series, read for the same
// window and the same minutes, replaced together. Nothing is added to it
// between loads, so no panel can run ahead of another (live ticks used to be
// added to the request tile only, which then disagreed with the error tile,
// the charts and the top routes until their next poll). Instead it reloads
// soon after live traffic arrives, and on a timer.

import { useEffect, useRef, useState } from "preact/hooks";
import { onLiveEvents, onResynced } from "../../live-feed";
import { toEpochSeconds } from "../../format";
import { getTimeseries, stepOf, type MetricName, type Timeseries, type TrafficScope } from "../../traffic-api";

/** How soon after live traffic the panels reload, and how often at most. */
export const AFTER_TRAFFIC_MS = 1_500;
export const MIN_RELOAD_GAP_MS = 4_000;
/** Reloads without traffic: short windows move faster. */
export const refreshEvery = (window: string) => (["5m", "15m", "1h"].includes(window) ? 15_000 : 60_000);

export interface Snapshot<T> {
  head: T;
  series: Record<string, Timeseries>;
  step: string;
  loadedAt: number;
}

export interface SnapshotState<T> {
  snapshot: Snapshot<T> | undefined;
  error: unknown;
  reload(): void;
}

/**
 * Loads `head` (which answers `from`/`to`), then the series for exactly its
 * minutes (`to` pins them), and swaps the whole snapshot at once. A pinned
 * scope (`scope.to` set, a shared link) is loaded once and never refreshed.
 * `matches` says whether a live event belongs to this page (its filters).
 */
export function useTrafficSnapshot<T extends { from: string; to: string }>(
  scope: TrafficScope,
  loadHead: (s: TrafficScope) => Promise<T>,
  metrics: MetricName[],
  matches: (e: { environment?: string; route?: string; method?: string; consumerId?: string | null }) => boolean,
): SnapshotState<T> {
  const [snapshot, setSnapshot] = useState<Snapshot<T> | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const seq = useRef(0);
  const last = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const key = JSON.stringify(scope);
  const matchesRef = useRef(matches);
  matchesRef.current = matches;

  const load = async (mine: number) => {
    last.current = Date.now();
    try {
      const head = await loadHead(scope);
      // The window ends with the minute that holds `to`; one second before the answer's exclusive end is that minute.
      const pinned = { ...scope, to: new Date((toEpochSeconds(head.to) - 1) * 1000).toISOString() };
      const step = stepOf(scope.window);
      const answers = await Promise.all(metrics.map((m) => getTimeseries(m, pinned, step)));
      if (mine !== seq.current) return;
      const series: Record<string, Timeseries> = {};
      metrics.forEach((m, i) => (series[m] = answers[i]!));
      setSnapshot({ head, series, step, loadedAt: Date.now() });
      setError(undefined);
    } catch (err) {
      if (mine === seq.current) setError(err);
    }
  };

  const reloadSoon = (delay: number) => {
    if (timer.current) return;
    const wait = Math.max(delay, MIN_RELOAD_GAP_MS - (Date.now() - last.current));
    timer.current = setTimeout(() => {
      timer.current = null;
      void load(seq.current);
    }, wait);
  };

  useEffect(() => {
    const mine = ++seq.current;
    setSnapshot(undefined);
    void load(mine);
    if (scope.to) return () => void seq.current++;
    const every = setInterval(() => reloadSoon(0), refreshEvery(scope.window));
    const offEvents = onLiveEvents((batch) => {
      if (batch.some((e) => matchesRef.current(e))) reloadSoon(AFTER_TRAFFIC_MS);
    });
    const offResync = onResynced(() => reloadSoon(0));
    return () => {
      seq.current++;
      clearInterval(every);
      offEvents();
      offResync();
      if (timer.current) clearTimeout(timer.current);
      timer.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  return { snapshot, error, reload: () => void load(seq.current) };
}
