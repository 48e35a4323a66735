// Routes: every route and method of the window, sortable, with sparklines
// (`#/routes?window=24h&sort=p95`); a route's own page when the URL names
// one (`#/routes?route=/v1/orders/{id}&method=GET`).

import { hrefFor, setParams, type Params } from "../router";
import { getRouteDetail, getRoutes, type RouteRow, type TrafficScope } from "../traffic-api";
import { useAsync } from "../ui/async";
import { html } from "../ui/html";
import { EnvironmentPicker, WindowPicker, windowParam } from "../ui/pickers";
import { Async } from "../ui/states";
import { BreakdownTable, defaultOrder } from "./traffic/BreakdownTable";
import { DetailPage } from "./traffic/DetailPage";
import { MethodBadge } from "./traffic/TopRoutes";

export function RoutesView({ params }: { params: Params }) {
  const route = params["route"];
  const method = params["method"];
  if (route && method) {
    return html`<${DetailPage} kind="route" params=${params} back=${{ view: "routes", label: "All routes" }}
      title=${html`<${MethodBadge} method=${method} /> <span class="mono">${route}</span>`}
      scope=${(window: string, environment?: string): TrafficScope => ({ window, environment, route, method })}
      load=${getRouteDetail} events=${{ route, method }}
      matches=${(e: { route?: string; method?: string; environment?: string }) => e.route === route && e.method?.toUpperCase() === method && (!params["env"] || e.environment === params["env"])} />`;
  }
  return html`<${RoutesList} params=${params} />`;
}

function RoutesList({ params }: { params: Params }) {
  const window = windowParam(params["window"], "24h");
  const env = params["env"] || undefined;
  const sort = params["sort"] ?? "requests";
  const order = params["order"] ?? defaultOrder(sort, ["route", "method"]);
  const scope: TrafficScope = { window, environment: env, to: params["to"] };
  const state = useAsync(() => getRoutes(scope, sort, order), [window, env, sort, order, params["to"]]);
  return html`<section id="view-routes">
    <div class="section-head">
      <h1>Routes</h1>
      <div class="pickers">
        <${WindowPicker} id="routes-window" value=${window} onChange=${(w: string) => setParams({ window: w })} />
        <${EnvironmentPicker} id="routes-env" value=${env ?? ""} options=${state.data?.environments ?? []} onChange=${(v: string) => setParams({ env: v })} />
      </div>
    </div>
    <${Async} state=${state} isEmpty=${(p: { items: RouteRow[] }) => p.items.length === 0} empty="No traffic in the window.">
      ${(first: Awaited<ReturnType<typeof getRoutes>>) => html`<${BreakdownTable} id="routes-table" caption="Routes" params=${params} first=${first}
        keyOf=${(r: RouteRow) => `${r.method} ${r.route}`}
        more=${(cursor: string) => getRoutes(scope, sort, order, 50, cursor)}
        names=${[
          { sort: "method", label: "Method", render: (r: RouteRow) => html`<${MethodBadge} method=${r.method} />` },
          { sort: "route", label: "Route", render: (r: RouteRow) => html`<a href=${hrefFor("routes", { route: r.route, method: r.method, window, env })} class="mono">${r.route}</a>` },
        ]} />`}
    <//>
  </section>`;
}
