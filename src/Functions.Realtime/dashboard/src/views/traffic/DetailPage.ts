// One route's or one consumer's page: its figures, series and status classes
// (one snapshot, as on the overview), its top consumers or routes, and its
// most recent stored events.

import { formatCompact, formatInt, formatMs, formatMsAxis, formatPercent, formatRatio } from "../../format";
import { hrefFor, setParams, type Params } from "../../router";
import { getEvents, stepWords, type Detail, type EventFilters, type TopItem, type TrafficScope } from "../../traffic-api";
import { useAsync } from "../../ui/async";
import { formatTime } from "../../ui/format";
import { html } from "../../ui/html";
import { EnvironmentPicker, WindowPicker, windowParam } from "../../ui/pickers";
import { SeriesChart } from "../../ui/SeriesChart";
import { Async, ErrorState, Loading } from "../../ui/states";
import { EventTable } from "./live-events";
import { useTrafficSnapshot } from "./snapshot";
import { StatusClasses } from "./StatusClasses";
import { errorLevel, Tiles } from "./Tiles";
import { MethodBadge } from "./TopRoutes";

export interface DetailPageProps {
  /** "route" or "consumer": the ids of the page's elements start with it. */
  kind: "route" | "consumer";
  params: Params;
  title: unknown;
  /** The list view to go back to, with the window and environment kept. */
  back: { view: string; label: string };
  scope: (window: string, env: string | undefined) => TrafficScope;
  load: (s: TrafficScope) => Promise<Detail>;
  events: EventFilters;
  matches: (e: { environment?: string; route?: string; method?: string; consumerId?: string | null }) => boolean;
}

function TopTable({ kind, items, window, env }: { kind: "consumers" | "routes"; items: TopItem[]; window: string; env?: string }) {
  if (items.length === 0) return html`<p class="empty">No traffic in the window.</p>`;
  return html`<div class="table-wrap" tabindex="0" aria-label=${`Top ${kind}`}>
    <table class="table" id=${`top-${kind}`}>
      <thead><tr>${kind === "routes" ? html`<th>Method</th><th>Route</th>` : html`<th>Consumer</th>`}
        <th class="t-num">Requests</th><th class="t-num">Errors</th><th class="t-num">p95</th></tr></thead>
      <tbody>
        ${items.map((t) => html`<tr>
          ${kind === "routes"
            ? html`<td><${MethodBadge} method=${t.method ?? ""} /></td>
                <td><a href=${hrefFor("routes", { route: t.route, method: t.method, window, env })}>${t.route}</a></td>`
            : html`<td>${t.consumerId
                ? html`<a href=${hrefFor("consumers", { consumer: t.consumerId, window, env })}>${t.consumerId}</a>`
                : html`<span class="muted">no consumer</span>`}</td>`}
          <td class="t-num">${formatInt(t.requests)}</td>
          <td class=${`t-num ${errorLevel(t.errorRate) === "ok" ? "" : errorLevel(t.errorRate)}`}>${formatRatio(t.errorRate)}</td>
          <td class="t-num">${formatMs(t.p95)}</td>
        </tr>`)}
      </tbody>
    </table>
  </div>`;
}

export function DetailPage(p: DetailPageProps) {
  const window = windowParam(p.params["window"], "24h");
  const env = p.params["env"] ?? "";
  const scope = { ...p.scope(window, env || undefined), to: p.params["to"] };
  const { snapshot, error, reload } = useTrafficSnapshot<Detail>(scope, p.load, ["request_count", "error_rate", "latency_p95"], p.matches);
  const recent = useAsync(() => getEvents({ ...p.events, environment: env || undefined }, 20), [JSON.stringify(p.events), env, snapshot?.loadedAt ?? 0]);
  const d = snapshot?.head;
  const series = snapshot?.series;
  const top = d?.top;
  return html`<section id=${`view-${p.kind}`} class="detail-page" data-loaded-at=${snapshot ? String(snapshot.loadedAt) : null}>
    <p class="crumbs"><a href=${hrefFor(p.back.view, { window, env: env || undefined })} id=${`${p.kind}-back`}>← ${p.back.label}</a></p>
    <div class="section-head">
      <h1 id=${`${p.kind}-title`}>${p.title}</h1>
      <div class="pickers">
        <${WindowPicker} id=${`${p.kind}-window`} value=${window} onChange=${(w: string) => setParams({ window: w })} />
        <${EnvironmentPicker} id=${`${p.kind}-env`} value=${env} options=${d?.environments ?? []} onChange=${(v: string) => setParams({ env: v })} />
      </div>
    </div>
    ${error !== undefined ? html`<${ErrorState} error=${error} retry=${reload} />` : null}
    ${!d || !series
      ? error === undefined ? html`<${Loading} />` : null
      : html`
        <${Tiles} totals=${d.totals} />
        <section class="charts" aria-label="Charts">
          <${SeriesChart} id=${`${p.kind}-chart-requests`} title="Requests" note=${`per ${stepWords(snapshot!.step)}`} points=${series["request_count"]!.points}
            format=${formatInt} axis=${formatCompact} color="#4da3ff" bars=${true} minTop=${5} />
          <${SeriesChart} id=${`${p.kind}-chart-error-rate`} title="Error rate" note="5xx share" color="#ff6b6b" minTop=${1}
            points=${series["error_rate"]!.points.map((pt) => ({ ts: pt.ts, value: pt.value == null ? null : pt.value * 100 }))} format=${formatPercent} axis=${(v: number) => `${Number(v.toFixed(2))} %`} />
          <${SeriesChart} id=${`${p.kind}-chart-latency`} title="Latency" note="p95" points=${series["latency_p95"]!.points}
            format=${formatMs} axis=${formatMsAxis} color="#c58bff" minTop=${10} />
        </section>
        <div class="columns columns-even">
          <${StatusClasses} counts=${d.statusClasses} id=${`${p.kind}-status`} />
          <section class="card" aria-label=${`Top ${top!.of}`}>
            <div class="card-head"><h2>Top ${top!.of}</h2>
              <span class="muted">${top!.complete ? "" : "counted over the first 5,000 met "}from stored events${top!.coveredFrom > d.from ? ` since ${formatTime(top!.coveredFrom)}` : ""}</span>
            </div>
            <${TopTable} kind=${top!.of} items=${top!.items} window=${window} env=${env || undefined} />
          </section>
        </div>`}
    <section class="card" aria-label="Recent events">
      <div class="card-head"><h2>Recent events</h2><a class="muted" href=${hrefFor("live", { route: p.events.route, method: p.events.method, consumer: p.events.consumerId, env: env || undefined })}>live tail</a></div>
      <${Async} state=${recent}>
        ${(page: Awaited<ReturnType<typeof getEvents>>) => html`<${EventTable} id=${`${p.kind}-events`} events=${page.items} empty="No stored events." />`}
      <//>
    </section>
  </section>`;
}
