// The tenant's firing alerts (firing.ts), each linking to its detail, with
// an acknowledge button (every role may acknowledge).

import { useEffect, useState } from "preact/hooks";
import { acknowledgeAlert, describeError, type Alert } from "../../api";
import { serverNow } from "../../clock";
import { firingAlerts } from "../../firing";
import { formatClock, formatDuration, formatValue, toEpochSeconds } from "../../format";
import { formatGroup } from "../../ui/format";
import { html } from "../../ui/html";

function FiringItem({ alert }: { alert: Alert }) {
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const sev = String(alert.severity || "info").toLowerCase();
  const started = toEpochSeconds(alert.startedAt);
  const group = formatGroup(alert.group);
  const ack = async () => {
    setBusy(true);
    setFailure(null);
    try {
      await acknowledgeAlert(String(alert.id));
      firingAlerts.apply({ ...alert, state: "acknowledged" });
    } catch (err) {
      setFailure(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return html`<li class=${`alert sev-${sev}`} data-alert-id=${String(alert.id)} data-severity=${sev}>
    <div class="alert-main">
      <span class=${`badge sev-${sev}`}>${sev}</span>
      <a class="alert-name" href=${`#/alerts?id=${encodeURIComponent(String(alert.id))}`}>${alert.ruleName || String(alert.ruleId ?? "alert")}</a>
    </div>
    <div class="alert-meta">
      <span>value ${formatValue(alert.value)}</span>
      ${group ? html`<span class="alert-group">${group}</span>` : null}
      ${Number.isFinite(started) ? html`<span>since ${formatClock(new Date(started * 1000))} (${formatDuration(serverNow() - started)})</span>` : null}
      ${failure ? html`<span class="bad" role="alert">${failure}</span>` : null}
    </div>
    <div class="alert-actions">
      <button type="button" class="btn btn-small" disabled=${busy} onClick=${ack} aria-label=${`Acknowledge ${alert.ruleName || "alert"}`}>${busy ? "…" : "Ack"}</button>
    </div>
  </li>`;
}

export function FiringPanel() {
  const [items, setItems] = useState(() => firingAlerts.list());
  useEffect(() => firingAlerts.subscribe(setItems), []);
  return html`<section class="card" aria-label="Firing alerts">
    <div class="card-head">
      <h2>Firing alerts</h2>
      ${items.length > 0 ? html`<span id="alerts-count" class="pill pill-bad">${items.length}</span>` : null}
    </div>
    ${items.length > 0
      ? html`<ul id="alerts-list" class="alerts">${items.map((a) => html`<${FiringItem} key=${String(a.id)} alert=${a} />`)}</ul>`
      : html`<p id="alerts-empty" class="empty ok">No alerts firing.</p>`}
  </section>`;
}
