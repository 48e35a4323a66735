// Connections (Admin): the tenant's open live dashboards, per member, as the
// SignalR Service reports them; refreshed every 10 seconds.

import { useEffect } from "preact/hooks";
import { getConnections, type Connections } from "../admin-api";
import { formatInt } from "../format";
import { useAsync } from "../ui/async";
import { formatTime } from "../ui/format";
import { html } from "../ui/html";
import { Async } from "../ui/states";

export function ConnectionsView() {
  const state = useAsync(getConnections, []);
  useEffect(() => {
    const timer = setInterval(state.reload, 10_000);
    return () => clearInterval(timer);
  }, []);
  return html`<section id="view-connections">
    <div class="section-head"><h1>Live connections</h1>
      <span class="muted" id="connections-total">${state.data ? `${formatInt(state.data.total)} open` : ""}</span>
      <button type="button" class="btn btn-small" id="connections-refresh" onClick=${state.reload}>Refresh</button></div>
    <section class="card" aria-label="Connections">
      <${Async} state=${state} isEmpty=${(d: Connections) => d.users.length === 0} empty="No dashboard is open.">
        ${(d: Connections) => html`<div class="table-wrap" tabindex="0" aria-label="Connections table"><table class="table" id="connections-table">
          <thead><tr><th>Member</th><th>Role</th><th class="t-num">Open dashboards</th><th>Since</th></tr></thead>
          <tbody>${d.users.map((u) => html`<tr key=${u.userId} data-email=${u.email}>
            <td>${u.email}</td><td>${u.role}</td><td class="t-num">${formatInt(u.connections)}</td><td class="t-time">${formatTime(u.since)}</td>
          </tr>`)}</tbody>
        </table></div>`}
      <//>
    </section>
  </section>`;
}
