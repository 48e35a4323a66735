// The overview, the landing view: the window's key figures, its charts,
// status classes, top routes and firing alerts, all from one snapshot
// (traffic/snapshot.ts) so they always agree; and the live events as they
// arrive, with the current rate. The window and the environment are in the
// URL (`#/overview?window=24h&env=staging`), as is a pinned end (`to=`).

import { useEffect, useState } from "preact/hooks";
import { onMetricsTick } from "../live-feed";
import type { LiveEvent } from "../live";
import { firingAlerts } from "../firing";
import { formatClock, formatCompact, formatInt, formatMs, formatMsAxis, formatPercent, formatRate } from "../format";
import { setParams, type Params } from "../router";
import { getOverview, stepWords, type Overview, type TrafficScope } from "../traffic-api";
import { html } from "../ui/html";
import { EnvironmentPicker, WindowPicker, windowParam } from "../ui/pickers";
import { SeriesChart } from "../ui/SeriesChart";
import { ErrorState, Loading } from "../ui/states";
import { FiringPanel } from "./traffic/FiringPanel";
import { InsightsPanel } from "./traffic/InsightsPanel";
import { EventTable, useLiveEvents } from "./traffic/live-events";
import { RetentionPanel } from "./traffic/RetentionPanel";
import { useTrafficSnapshot } from "./traffic/snapshot";
import { StatusClasses } from "./traffic/StatusClasses";
import { Tiles } from "./traffic/Tiles";
import { TopRoutes } from "./traffic/TopRoutes";

const WINDOW_TITLES: Record<string, string> = {
  "5m": "Last 5 minutes", "15m": "Last 15 minutes", "1h": "Last hour", "6h": "Last 6 hours",
  "24h": "Last 24 hours", "7d": "Last 7 days", "30d": "Last 30 days",
};

/** Requests and errors per second, from the live ticks of the last 10 seconds. */
function LiveRate() {
  const [ticks, setTicks] = useState<{ ts: number; requests: number; errors: number }[]>([]);
  useEffect(
    () =>
      onMetricsTick((t) => {
        const ts = Date.parse(String(t.ts)) || Number(t.ts) * 1000;
        setTicks((cur) => [...cur.filter((x) => x.ts > ts - 10_000), { ts, requests: Number(t.requests) || 0, errors: Number(t.errors) || 0 }]);
      }),
    [],
  );
  const requests = ticks.reduce((n, t) => n + t.requests, 0) / 10;
  const errors = ticks.reduce((n, t) => n + t.errors, 0) / 10;
  return html`<span class="live-rate muted" id="live-rate" title="All environments, from the live per-second figures">
    now ${formatRate(requests)} req/s · ${formatRate(errors)} 5xx/s
  </span>`;
}

export function OverviewView({ params }: { params: Params }) {
  const window = windowParam(params["window"], "1h");
  const env = params["env"] ?? "";
  const scope: TrafficScope = { window, environment: env || undefined, to: params["to"] };
  const matches = (e: { environment?: string }) => !env || (e.environment ?? "production") === env;
  const { snapshot, error, reload } = useTrafficSnapshot<Overview>(
    scope,
    async (s) => {
      const requestedAt = Date.now();
      const o = await getOverview(s);
      if (!s.to) firingAlerts.setSnapshot(o.firingAlerts ?? [], requestedAt);
      return o;
    },
    ["request_count", "error_rate", "latency_p95"],
    matches,
  );
  const [paused, setPaused] = useState(false);
  const live = useLiveEvents((e: LiveEvent) => matches(e), 200, paused);

  const o = snapshot?.head;
  const step = snapshot?.step ?? "";
  return html`<main id="view-overview" data-loaded-at=${snapshot ? String(snapshot.loadedAt) : null} data-to=${o?.to ?? null}>
    <div class="section-head">
      <h1>${WINDOW_TITLES[window]}${env ? html` <span class="muted">· ${env}</span>` : null}</h1>
      <div class="pickers">
        <${WindowPicker} id="overview-window" value=${window} onChange=${(w: string) => setParams({ window: w })} />
        <${EnvironmentPicker} id="overview-env" value=${env} options=${o?.environments ?? []} onChange=${(v: string) => setParams({ env: v })} />
        ${params["to"] ? html`<button type="button" class="btn btn-small" id="overview-unpin" onClick=${() => setParams({ to: null })}>Back to now</button>` : null}
      </div>
      <span id="updated-at" class="muted">${snapshot ? `updated ${formatClock(new Date(snapshot.loadedAt))}` : ""}</span>
    </div>
    ${error !== undefined ? html`<${ErrorState} error=${error} retry=${reload} />` : null}
    ${!o
      ? error === undefined ? html`<${Loading} />` : null
      : html`
        <${Tiles} totals=${o.totals} />
        <section class="charts" aria-label="Charts">
          <${SeriesChart} id="chart-requests" title="Requests" note=${`per ${stepWords(step)}`} points=${snapshot!.series["request_count"]!.points}
            format=${formatInt} axis=${formatCompact} color="#4da3ff" bars=${true} minTop=${5} />
          <${SeriesChart} id="chart-error-rate" title="Error rate" note="5xx share" color="#ff6b6b" minTop=${1}
            points=${snapshot!.series["error_rate"]!.points.map((p) => ({ ts: p.ts, value: p.value == null ? null : p.value * 100 }))}
            format=${formatPercent} axis=${(v: number) => `${Number(v.toFixed(2))} %`} />
          <${SeriesChart} id="chart-latency" title="Latency" note="p95" points=${snapshot!.series["latency_p95"]!.points}
            format=${formatMs} axis=${formatMsAxis} color="#c58bff" minTop=${10} />
        </section>`}
    <${InsightsPanel} scope=${scope} />
    <div class="columns">
      <section class="card events-card" aria-label="Live events">
        <div class="card-head">
          <h2>Live events</h2>
          <${LiveRate} />
          <span id="event-count" class="muted">${live.matched > 0 ? `${formatInt(live.matched)} received` : ""}</span>
          <button id="event-pause" type="button" class="btn btn-small" aria-pressed=${paused ? "true" : "false"} onClick=${() => setPaused(!paused)}>${paused ? "Resume" : "Pause"}</button>
        </div>
        <${EventTable} id="event-list" events=${live.events} empty="Waiting for live traffic…" />
      </section>
      <div class="side">
        <${FiringPanel} />
        ${o ? html`<${StatusClasses} counts=${o.statusClasses} />` : null}
        ${o ? html`<${TopRoutes} routes=${o.topRoutes ?? []} window=${window} env=${env || undefined} />` : null}
        <${RetentionPanel} />
      </div>
    </div>
  </main>`;
}
