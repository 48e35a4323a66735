// Routes: every route and method of the window, sortable, with sparklines
// (`#/routes?window=24h&sort=p95`); a route's own page when the URL names
// one (`#/routes?route=/v1/orders/{id}&method=GET`).

import { hrefFor, type Params } from "../router";
import { getRouteDetail, getRoutes, type RouteRow, type TrafficScope } from "../traffic-api";
import { html } from "../ui/html";
import { BreakdownList } from "./traffic/BreakdownList";
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
  return html`<${BreakdownList} kind="routes" title="Routes" params=${params} load=${getRoutes} keyOf=${(r: RouteRow) => `${r.method} ${r.route}`}
    names=${(window: string, env?: string) => [
      { sort: "method", label: "Method", render: (r: RouteRow) => html`<${MethodBadge} method=${r.method} />` },
      { sort: "route", label: "Route", render: (r: RouteRow) => html`<a href=${hrefFor("routes", { route: r.route, method: r.method, window, env })} class="mono">${r.route}</a>` },
    ]} />`;
}
