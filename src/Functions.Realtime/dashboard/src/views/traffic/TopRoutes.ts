// The busiest routes of the window, each a link to its route page.

import { DASH, formatInt, formatMs, formatRatio } from "../../format";
import { hrefFor } from "../../router";
import type { TopRoute } from "../../traffic-api";
import { html } from "../../ui/html";
import { errorLevel } from "./Tiles";

export function MethodBadge({ method }: { method: string }) {
  const m = String(method ?? "").toUpperCase();
  return html`<span class=${`method m-${m.toLowerCase()}`}>${m || DASH}</span>`;
}

export function TopRoutes({ routes, window, env }: { routes: TopRoute[]; window: string; env?: string }) {
  return html`<section class="card" aria-label="Top routes">
    <div class="card-head"><h2>Top routes</h2><a class="muted" href=${hrefFor("routes", { window, env })}>all routes</a></div>
    ${routes.length === 0
      ? html`<p class="empty" id="top-routes-empty">No traffic in the window.</p>`
      : html`<div class="table-wrap" tabindex="0" aria-label="Top routes table">
          <table class="table">
            <thead><tr><th>Method</th><th>Route</th><th class="t-num">Requests</th><th class="t-num">Errors</th><th class="t-num">p95</th></tr></thead>
            <tbody id="top-routes">
              ${routes.map((r) => html`<tr data-route=${r.route} data-method=${r.method}>
                <td class="t-method"><${MethodBadge} method=${r.method} /></td>
                <td class="t-route"><a href=${hrefFor("routes", { route: r.route, method: r.method, window, env })} title=${r.route}>${r.route}</a></td>
                <td class="t-num">${formatInt(r.requests)}</td>
                <td class=${`t-num ${errorLevel(r.errorRate) === "ok" ? "" : errorLevel(r.errorRate)}`}>${formatRatio(r.errorRate)}</td>
                <td class="t-num">${formatMs(r.p95)}</td>
              </tr>`)}
            </tbody>
          </table>
        </div>`}
  </section>`;
}
