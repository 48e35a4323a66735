// Alerts: the summary, the list with state and severity filters (in the URL),
// and the selected alert's detail. Reloads on every live `alert` message.

import { useEffect, useState } from "preact/hooks";
import { getRule, listAlerts, SEVERITIES, type AlertItem } from "../alerting-api";
import { setParams, type Params } from "../router";
import { useAsync } from "../ui/async";
import { formatGroup, formatTime, formatValue } from "../ui/format";
import { html } from "../ui/html";
import { Async } from "../ui/states";
import { AlertDetailPanel } from "./AlertDetail";
import { AlertSummaryStrip } from "./AlertSummary";
import { useAlertTick } from "./live-tick";

export const ALERT_STATES = ["pending", "firing", "acknowledged", "resolved"];
const PAGE = 50;

export function StateBadge({ state }: { state: string }) {
  return html`<span class=${`state state-${state}`} data-state=${state}>${state}</span>`;
}

/** "silenced until …" on an alert a silence or maintenance window mutes now. */
export function SilencedBadge({ alert }: { alert: AlertItem }) {
  const m = alert.silenced;
  if (!m) return null;
  const what = m.kind === "maintenance" ? "in maintenance" : "silenced";
  return html`<span class="silenced-badge" data-silenced=${m.kind} title=${`${what} by ${m.kind} ${m.id}`}>${what} until ${formatTime(m.until)}</span>`;
}

/** "flapping" on an alert that changes state too often (its rule's flapDetection); absent unless `flapping` is true. */
export function FlappingBadge({ alert }: { alert: AlertItem }) {
  if (alert.flapping !== true) return null;
  const since = alert.flappingSince ? ` since ${formatTime(alert.flappingSince)}` : "";
  return html`<span class="flapping-badge" data-flapping="true" title=${`Changing state too often${since}: notified once, not at every change`}>flapping</span>`;
}

export function SeverityBadge({ severity }: { severity: string }) {
  const sev = String(severity || "info").toLowerCase();
  return html`<span class=${`badge sev-${sev}`}>${sev}</span>`;
}

export function AlertsView({ params }: { params: Params }) {
  // Reload on live messages and polls, and at once after this tab acted on an alert.
  const [acted, setActed] = useState(0);
  const tick = useAlertTick() + acted;
  const state = params["state"] ?? "";
  const severity = params["severity"] ?? "";
  const ruleId = params["ruleId"] ?? "";
  const window = params["window"] ?? "7d";
  const selected = params["id"] ?? "";

  // Pages beyond the first, fetched with "Load more"; reset when the filters change.
  const [more, setMore] = useState<{ items: AlertItem[]; next: string | null }>({ items: [], next: null });
  const first = useAsync(() => listAlerts({ state, severity, ruleId, limit: PAGE }), [state, severity, ruleId, tick]);
  useEffect(() => setMore({ items: [], next: null }), [state, severity, ruleId]);
  const [loadingMore, setLoadingMore] = useState(false);
  const rule = useAsync(() => (ruleId ? getRule(ruleId) : Promise.resolve(null)), [ruleId]);
  const next = more.items.length > 0 ? more.next : (first.data?.next ?? null);

  const loadMore = async () => {
    if (!next) return;
    setLoadingMore(true);
    try {
      const page = await listAlerts({ state, severity, ruleId, limit: PAGE, cursor: next });
      setMore((m) => ({ items: [...m.items, ...page.items], next: page.next ?? null }));
    } finally {
      setLoadingMore(false);
    }
  };

  const filterLabel = [state, severity].filter(Boolean).join(" ");
  return html`<div class="view view-alerts" id="view-alerts">
    <div class="section-head"><h1>Alerts</h1></div>
    <${AlertSummaryStrip} window=${window} tick=${tick} onWindow=${(w: string) => setParams({ window: w }, true)} />
    <div class=${`split ${selected ? "has-detail" : ""}`}>
      <section class="card" aria-label="Alert list">
        <div class="card-head filters">
          <label class="inline-field">state
            <select id="alerts-filter-state" value=${state} onChange=${(e: Event) => setParams({ state: (e.target as HTMLSelectElement).value }, true)}>
              <option value="">any</option>
              ${ALERT_STATES.map((s) => html`<option value=${s}>${s}</option>`)}
            </select>
          </label>
          <label class="inline-field">severity
            <select id="alerts-filter-severity" value=${severity} onChange=${(e: Event) => setParams({ severity: (e.target as HTMLSelectElement).value }, true)}>
              <option value="">any</option>
              ${SEVERITIES.map((s) => html`<option value=${s}>${s}</option>`)}
            </select>
          </label>
          ${ruleId
            ? html`<span class="chip" id="alerts-filter-rule">rule: ${rule.data?.name ?? "…"}
                <button type="button" class="btn btn-small" aria-label="Show every rule's alerts" onClick=${() => setParams({ ruleId: null }, true)}>×</button></span>`
            : null}
        </div>
        <${Async} state=${first} isEmpty=${(d: { items: AlertItem[] }) => d.items.length === 0}
          empty=${filterLabel ? `No ${filterLabel} alerts.` : "No alerts yet."}>
          ${(d: { items: AlertItem[] }) => html`<div class="table-wrap" tabindex="0">
            <table class="table" id="alerts-table">
              <thead><tr><th>State</th><th>Severity</th><th>Rule</th><th>Group</th><th class="t-num">Value</th><th>Started</th></tr></thead>
              <tbody>
                ${[...d.items, ...more.items].map(
                  (a) => html`<tr key=${a.id} data-alert-id=${a.id} data-state=${a.state} class=${`clickable ${a.id === selected ? "selected" : ""}`}
                      onClick=${() => setParams({ id: a.id })}>
                    <td><${StateBadge} state=${a.state} /> <${FlappingBadge} alert=${a} /> <${SilencedBadge} alert=${a} /></td>
                    <td><${SeverityBadge} severity=${a.severity} /></td>
                    <td><a href=${`#/alerts?${new URLSearchParams({ ...params, id: a.id })}`} onClick=${(e: Event) => e.stopPropagation()}>${a.ruleName}</a></td>
                    <td class="t-route">${formatGroup(a.group)}</td>
                    <td class="t-num">${formatValue(a.value)}</td>
                    <td class="t-time">${formatTime(a.startedAt)}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
            ${next ? html`<button type="button" class="btn btn-small" id="alerts-more" disabled=${loadingMore} onClick=${loadMore}>Load more</button>` : null}
          </div>`}
        <//>
      </section>
      ${selected ? html`<${AlertDetailPanel} id=${selected} tick=${tick} onChanged=${() => setActed((n) => n + 1)} />` : null}
    </div>
  </div>`;
}
