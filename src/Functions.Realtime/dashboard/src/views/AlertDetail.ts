// One alert: its facts, the timeline (transitions, who acknowledged or
// resolved, notifications) and its deliveries; Ack for everyone, Resolve for Admins.

import { useState } from "preact/hooks";
import { ackAlert, getAlert, listDeliveries, resolveAlert, type AlertDetail, type Delivery, type TimelineEntry } from "../alerting-api";
import { describeError } from "../api";
import { formatInt, formatMs } from "../format";
import { navigate, setParams } from "../router";
import { useAsync } from "../ui/async";
import { formatGroup, formatPerson, formatTime, formatValue } from "../ui/format";
import { html } from "../ui/html";
import { useRole } from "../ui/role";
import { Async, Empty, ErrorState } from "../ui/states";
import { FlappingBadge, SeverityBadge, SilencedBadge, StateBadge } from "./AlertsView";
import { AnomalyExplanationPanel } from "./AnomalyExplanation";
import { matchersParam } from "./SilenceForm";

/** The matchers that silence this alert and no other: its rule and, when it has one, its group. */
function matchersFor(a: AlertDetail) {
  return [{ name: "rule", op: "=", value: a.ruleName }, ...(a.group ? [{ name: "group", op: "=", value: String(a.group) }] : [])];
}

function describeEntry(e: TimelineEntry): string {
  switch (e.kind) {
    case "transition":
      return `${e.state ?? "changed"}${e.value != null ? ` at value ${formatValue(e.value)}` : ""}`;
    case "ack":
      return `acknowledged by ${formatPerson(e.actor)}`;
    case "resolve":
      return e.actor ? `resolved by ${formatPerson(e.actor)}` : `resolved${e.message ? `: ${e.message}` : ""}`;
    case "notification":
      // message: the event sent (alert.firing, alert.resolved, …)
      return `${e.message ?? "notification"}${e.deliveryState ? ` ${e.deliveryState}` : ""}${e.channelId ? ` via channel ${e.channelId.slice(0, 8)}` : ""}`;
    case "rule":
      return e.message ?? "its rule changed"; // "rule disabled by x@y"
    case "muted":
    case "unmuted":
      return e.message ?? e.kind; // why nobody was notified, or that the held notification went out
    default:
      return `${e.message ?? e.kind}${e.actor ? ` (${formatPerson(e.actor)})` : ""}`;
  }
}

export function DeliveriesTable({ deliveries, id }: { deliveries: Delivery[]; id: string }) {
  if (deliveries.length === 0) return html`<${Empty}>No deliveries.<//>`;
  return html`<div class="table-wrap" tabindex="0"><table class="table" id=${id}>
    <thead><tr><th>Event</th><th>State</th><th>Created</th><th class="t-num">Attempts</th><th>Last attempt</th></tr></thead>
    <tbody>
      ${deliveries.map((d) => {
        const last = d.attempts?.[d.attempts.length - 1];
        return html`<tr key=${d.id} data-delivery-id=${d.id} data-state=${d.state}>
          <td>${d.eventType ?? "—"}</td>
          <td><span class=${`state state-${d.state}`}>${d.state}</span></td>
          <td class="t-time">${formatTime(d.createdAt)}</td>
          <td class="t-num">${formatInt(d.attempts?.length ?? 0)}</td>
          <td>${last ? `${formatTime(last.at)} · ${last.statusCode ?? "no answer"} · ${formatMs(last.latencyMs)}${last.error ? ` · ${last.error}` : ""}` : "—"}</td>
        </tr>`;
      })}
    </tbody>
  </table></div>`;
}

export function AlertDetailPanel({ id, tick, onChanged }: { id: string; tick: number; onChanged: () => void }) {
  const { isAdmin } = useRole();
  const alert = useAsync(() => getAlert(id), [id, tick]);
  const deliveries = useAsync(() => listDeliveries({ alertId: id }), [id, tick]);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<unknown>(undefined);

  const act = async (what: (id: string) => Promise<unknown>) => {
    setBusy(true);
    setActionError(undefined);
    try {
      await what(id);
      alert.reload();
      onChanged();
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy(false);
    }
  };

  return html`<section class="card detail" id="alert-detail" aria-label="Alert detail" data-alert-id=${id}>
    <div class="card-head">
      <h2>Alert</h2>
      <button type="button" class="btn btn-small" id="alert-close" aria-label="Close" onClick=${() => setParams({ id: null })}>Close</button>
    </div>
    <${Async} state=${alert}>
      ${(a: AlertDetail) => html`<div>
        <div class="detail-head">
          <${StateBadge} state=${a.state} /> <${SeverityBadge} severity=${a.severity} />
          <strong class="detail-title">${a.ruleName}</strong> <${FlappingBadge} alert=${a} /> <${SilencedBadge} alert=${a} />
        </div>
        <dl class="facts">
          <dt>Group</dt><dd>${formatGroup(a.group)}</dd>
          <dt>Value</dt><dd>${formatValue(a.value)}</dd>
          <dt>Started</dt><dd>${formatTime(a.startedAt)}</dd>
          <dt>Firing</dt><dd>${formatTime(a.firingAt)}</dd>
          ${a.flapping ? html`<dt>Flapping since</dt><dd id="alert-flapping-since">${formatTime(a.flappingSince)}</dd>` : null}
          <dt>Acknowledged</dt><dd id="alert-acknowledged">${a.acknowledgedAt ? `${formatTime(a.acknowledgedAt)} by ${formatPerson(a.acknowledgedBy)}` : "—"}</dd>
          <dt>Resolved</dt><dd id="alert-resolved">${a.resolvedAt ? `${formatTime(a.resolvedAt)}${a.resolvedBy ? ` by ${formatPerson(a.resolvedBy)}` : ""}${a.resolvedReason ? ` (${a.resolvedReason})` : ""}` : "—"}</dd>
        </dl>
        <div class="actions">
          ${a.state === "firing"
            ? html`<button type="button" class="btn" id="alert-ack" disabled=${busy} onClick=${() => act(ackAlert)}>Acknowledge</button>`
            : null}
          ${isAdmin && a.state !== "resolved"
            ? html`<button type="button" class="btn" id="alert-resolve" disabled=${busy} onClick=${() => act(resolveAlert)}>Resolve</button>`
            : null}
          ${isAdmin && a.state !== "resolved" && !a.silenced
            ? html`<button type="button" class="btn" id="alert-silence" onClick=${() => navigate("silences", { new: "1", matchers: matchersParam(matchersFor(a)) })}>Silence…</button>`
            : null}
        </div>
        ${actionError !== undefined ? html`<p class="form-error" role="alert" id="alert-action-error">${describeError(actionError)}</p>` : null}
        ${a.explanation ? html`<${AnomalyExplanationPanel} explanation=${a.explanation} />` : null}
        <h3>Timeline</h3>
        ${a.timeline?.length
          ? html`<ol class="timeline" id="alert-timeline">
              ${a.timeline.map(
                (e) => html`<li data-kind=${e.kind} data-state=${e.state ?? ""}><span class="t-time">${formatTime(e.at)}</span> <span>${describeEntry(e)}</span></li>`,
              )}
            </ol>`
          : html`<${Empty}>No timeline entries.<//>`}
        <h3>Deliveries</h3>
        ${deliveries.error !== undefined && deliveries.data === undefined
          ? html`<${ErrorState} error=${deliveries.error} retry=${deliveries.reload} />`
          : html`<${DeliveriesTable} id="alert-deliveries" deliveries=${deliveries.data?.items ?? []} />`}
      </div>`}
    <//>
  </section>`;
}
