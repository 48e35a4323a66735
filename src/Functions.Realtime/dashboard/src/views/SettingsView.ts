// Settings: how long each tier is kept (an Owner changes it), the tenant's
// limits, and its current use of them: the ingest rate against the sustained
// rate, routes, consumers and rules against their bounds.

import { useState } from "preact/hooks";
import { getRetention, type RetentionSettings } from "../api";
import { getLimits, putRetention, type Limits } from "../admin-api";
import { formatBytes, formatInt, formatRate } from "../format";
import { useAsync } from "../ui/async";
import { FieldError } from "../ui/field-errors";
import { useFormSubmit } from "../ui/form-submit";
import { html } from "../ui/html";
import { allows, useRole } from "../ui/role";
import { Async } from "../ui/states";

const TIERS = [
  ["raw", "rawDays", "Raw events"], ["minute", "minuteDays", "Per-minute rollups"], ["hour", "hourDays", "Per-hour rollups"],
  ["day", "dayDays", "Per-day rollups"], ["audit", "auditDays", "Audit log"],
] as const;

function RetentionForm({ settings, editable, onSaved }: { settings: RetentionSettings; editable: boolean; onSaved: () => void }) {
  const [days, setDays] = useState<Record<string, string>>(() => Object.fromEntries(TIERS.map(([t]) => [t, String(settings[t].days)])));
  const [saved, setSaved] = useState(false);
  const { busy, errors, failure, submit } = useFormSubmit();
  const save = (e: Event) =>
    submit(e, async () => {
      setSaved(false);
      const body: Record<string, number> = {};
      for (const [tier, field] of TIERS) if (Number(days[tier]) !== settings[tier].days) body[field] = Number(days[tier]);
      await putRetention(body);
      setSaved(true);
      onSaved();
    });
  return html`<form id="retention-form" onSubmit=${save} aria-label="Retention">
    <table class="table"><thead><tr><th>Tier</th><th class="t-num">Kept (days)</th><th class="t-num">Default</th><th class="t-num">Allowed</th></tr></thead>
      <tbody>${TIERS.map(([tier, field, label]) => {
        const t = settings[tier];
        return html`<tr data-tier=${tier}>
          <td><label for=${`retention-${tier}`}>${label}</label>${t.overridden ? html` <span class="chip">custom</span>` : null}</td>
          <td class="t-num">${editable
            ? html`<input id=${`retention-${tier}`} type="number" min=${t.minDays} max=${t.maxDays} required value=${days[tier]}
                onInput=${(e: Event) => setDays({ ...days, [tier]: (e.target as HTMLInputElement).value })} /><${FieldError} errors=${errors} field=${field} />`
            : html`<span id=${`retention-${tier}`}>${formatInt(t.days)}</span>`}</td>
          <td class="t-num">${formatInt(t.defaultDays)}</td><td class="t-num">${t.minDays}–${formatInt(t.maxDays)}</td>
        </tr>`;
      })}</tbody></table>
    ${editable
      ? html`<p><button type="submit" class="btn btn-primary" id="retention-save" disabled=${busy}>${busy ? "Saving…" : "Save retention"}</button>
          ${saved ? html` <span class="ok" id="retention-saved" role="status">Saved.</span>` : null}
          ${failure ? html` <span class="form-error" role="alert">${failure}</span>` : null}</p>`
      : html`<p class="muted">Only an owner may change retention.</p>`}
  </form>`;
}

function Meter({ id, label, used, limit, format }: { id: string; label: string; used: number; limit: number; format: (v: number) => string }) {
  const share = limit > 0 ? Math.min(1, used / limit) : 0;
  const level = share >= 0.9 ? "bad" : share >= 0.7 ? "warn" : "ok";
  return html`<li class="meter" id=${id} data-level=${level}>
    <span class="lg-label">${label}</span>
    <meter min="0" max=${limit} value=${Math.min(used, limit)} aria-label=${`${label}: ${format(used)} of ${format(limit)}`}></meter>
    <span class="lg-value">${format(used)} / ${format(limit)}</span>
    <span class="lg-pct">${(share * 100).toFixed(0)} %</span>
  </li>`;
}

function LimitsPanel({ data }: { data: Limits }) {
  const { limits: l, usage: u } = data;
  return html`<div id="limits">
    <ul class="status-legend meters">
      <${Meter} id="limit-rate" label="Events/s, last minute" used=${u.eventsPerSecond} limit=${l.eventsPerSecond} format=${formatRate} />
      <${Meter} id="limit-peak" label="Events/s, busiest 10 s of the hour" used=${u.peakEventsPerSecond} limit=${l.eventsPerSecond} format=${formatRate} />
      <${Meter} id="limit-routes" label="Routes" used=${u.routes} limit=${l.maxRoutes} format=${formatInt} />
      <${Meter} id="limit-consumers" label="Consumers" used=${u.consumers} limit=${l.maxConsumers} format=${formatInt} />
      <${Meter} id="limit-rules" label="Alert rules" used=${u.rules} limit=${l.maxRules} format=${formatInt} />
    </ul>
    <dl class="facts">
      <dt>Burst</dt><dd>${formatInt(l.burst)} events</dd>
      <dt>Events per batch</dt><dd>${formatInt(l.maxBatchEvents)}</dd>
      <dt>Body</dt><dd>${formatBytes(l.maxBodyBytes)} (${formatBytes(l.maxDecompressedBytes)} decompressed)</dd>
    </dl>
  </div>`;
}

export function SettingsView() {
  const { role } = useRole();
  const retention = useAsync(getRetention, []);
  const limits = useAsync(getLimits, []);
  return html`<section id="view-settings">
    <div class="section-head"><h1>Settings</h1></div>
    <div class="columns columns-even">
      <section class="card" aria-label="Retention settings">
        <div class="card-head"><h2>Retention</h2></div>
        <${Async} state=${retention}>
          ${(s: RetentionSettings) => html`<${RetentionForm} settings=${s} editable=${allows(role, "owner")} onSaved=${retention.reload} />`}
        <//>
      </section>
      <section class="card" aria-label="Limits and use">
        <div class="card-head"><h2>Limits and use</h2><button type="button" class="btn btn-small" id="limits-refresh" onClick=${limits.reload}>Refresh</button></div>
        <${Async} state=${limits}>${(d: Limits) => html`<${LimitsPanel} data=${d} />`}<//>
      </section>
    </div>
  </section>`;
}
