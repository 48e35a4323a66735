// SLOs (`#/slos`, `#/slos?id=…`, `#/slos?new=1`): every SLO with its
// attainment, the budget left and the burn rate; one SLO's budget over its
// window and, for the per-consumer template, its consumers by budget left;
// an Admin creates and deletes them. Formulas: docs/ALERTING.md.

import { useState } from "preact/hooks";
import { createRule, listRules, type Rule } from "../alerting-api";
import { formatInt, formatRatio } from "../format";
import { hrefFor, setParams, type Params } from "../router";
import { createSlo, deleteSlo, getSloConsumers, getSloSeries, listSlos, type Slo, type SloBody, type SloConsumer, type SloStatus } from "../slo-api";
import { ActionButton } from "../ui/ActionButton";
import { useAsync } from "../ui/async";
import { FieldError } from "../ui/field-errors";
import { useFormSubmit } from "../ui/form-submit";
import { formatTime } from "../ui/format";
import { html } from "../ui/html";
import { useRole } from "../ui/role";
import { SeriesChart } from "../ui/SeriesChart";
import { Async } from "../ui/states";

const describeSli = (s: Slo) =>
  s.sli.type === "latency" ? `within ${formatInt(s.sli.thresholdMs ?? 0)} ms` : "not 5xx";

const describeScope = (s: Slo) => {
  const f = s.filters ?? {};
  const parts = [f.method && f.route ? `${f.method} ${f.route}` : f.route, f.consumerId && `consumer ${f.consumerId}`, f.environment && `env ${f.environment}`].filter(Boolean);
  return `${parts.length ? parts.join(", ") : "whole API"}${s.perConsumer ? `, per consumer (top ${s.perConsumer.top ?? 1000})` : ""}`;
};

const percent = (v: number | null | undefined, digits = 3) => (v == null ? "—" : `${(v * 100).toFixed(digits)} %`);

function BudgetBar({ status }: { status: SloStatus | null | undefined }) {
  const ratio = status?.errorBudget.remainingRatio;
  if (ratio == null) return html`<span class="muted">no traffic</span>`;
  const level = ratio <= 0 ? "bad" : ratio < 0.25 ? "warn" : "ok";
  return html`<span class="budget" data-level=${level}>
    <meter min="0" max="1" value=${Math.max(0, Math.min(1, ratio))} aria-label=${`Error budget left: ${percent(ratio, 1)}`}></meter>
    <span class="budget-text">${ratio <= 0 ? "exhausted" : percent(ratio, 1)}</span>
  </span>`;
}

/**
 * The burn-rate rules that read the SLO, and for an Admin, when it has none, one click that makes the workbook's
 * pair: a page (critical) and a ticket (warning), with no channel yet (the rule editor adds them).
 */
function BurnRateAlerts({ slo }: { slo: Slo }) {
  const { isAdmin } = useRole();
  const rules = useAsync(() => listRules(), [slo.id]);
  const reading = (rules.data?.items ?? []).filter((r: Rule) => r.condition.type === "burn_rate" && r.condition.sloId === slo.id);
  const make = async () => {
    for (const [level, severity, what] of [["page", "critical", "fast burn"], ["ticket", "warning", "slow burn"]] as const)
      await createRule({ name: `${slo.name}: ${what}`, enabled: true, severity, condition: { type: "burn_rate", sloId: slo.id, level }, for: null, channelIds: [] });
  };
  return html`<div id="slo-burn-alerts"><h3>Burn-rate alerts</h3>
    ${rules.data === undefined
      ? null
      : reading.length
        ? html`<ul class="plain">${reading.map((r: Rule) => html`<li><a href=${hrefFor("rules", { id: r.id })}>${r.name}</a>
            <span class="muted">${r.condition.level ?? "page"}${r.enabled ? "" : ", disabled"}</span></li>`)}</ul>`
        : html`<p class="muted">None yet.${isAdmin ? " A page fires when 2 % of the budget goes in an hour or 5 % in six; a ticket when 10 % goes in three days." : ""}</p>
            ${isAdmin ? html`<${ActionButton} id="slo-make-alerts" label="Create page and ticket alerts" run=${make} done=${rules.reload} />` : null}`}
  </div>`;
}

function SloDetail({ slo }: { slo: Slo }) {
  const step = slo.window === "7d" ? "1h" : "1d";
  const series = useAsync(() => getSloSeries(slo.id, step), [slo.id]);
  const consumers = useAsync(() => (slo.perConsumer ? getSloConsumers(slo.id) : Promise.resolve(null)), [slo.id]);
  const s = slo.status;
  return html`<section class="card detail" id="slo-detail" aria-label="SLO detail" data-slo-id=${slo.id}>
    <div class="card-head"><h2>${slo.name}</h2>
      <button type="button" class="btn btn-small" id="slo-close" onClick=${() => setParams({ id: null })}>Close</button></div>
    <dl class="facts">
      <dt>Objective</dt><dd>${percent(slo.objective)} of requests ${describeSli(slo)}, over ${slo.window}</dd>
      <dt>Traffic</dt><dd>${describeScope(slo)}</dd>
      <dt>Attainment</dt><dd id="slo-attainment">${percent(s?.attainment)}${s?.breaching ? html` <span class="state state-firing">breaching</span>` : null}</dd>
      <dt>Budget</dt><dd id="slo-budget">${s ? `${formatInt(s.errorBudget.consumed)} of ${formatInt(Math.floor(s.errorBudget.total))} bad requests allowed` : "—"}</dd>
      <dt>Burn rate</dt><dd id="slo-burn">${s?.burnRate == null ? "—" : `${s.burnRate.toFixed(2)}× (last hour)`}</dd>
      <dt>Runs out</dt><dd id="slo-exhausts">${s?.exhausted ? "already spent" : s?.exhaustsAt ? formatTime(s.exhaustsAt) : "not at the current rate"}</dd>
    </dl>
    <${Async} state=${series}>
      ${(d: { points: { ts: string; budgetRemainingRatio: number | null }[] }) => html`<${SeriesChart} id="slo-chart" title="Error budget left" note=${`per ${step === "1h" ? "hour" : "day"}`}
        points=${d.points.map((p) => ({ ts: p.ts, value: p.budgetRemainingRatio == null ? null : p.budgetRemainingRatio * 100 }))}
        format=${(v: number | null) => (v == null ? "—" : `${v.toFixed(1)} %`)} color="#3ecf8e" minTop=${100} />`}
    <//>
    ${slo.perConsumer
      ? html`<${Async} state=${consumers}>
          ${(d: { items: SloConsumer[]; breaching: number } | null) => d && html`<h3>Consumers <span class="muted" id="slo-breaching">${d.breaching} breaching</span></h3>
            <div class="table-wrap" tabindex="0" aria-label="Consumers by budget left"><table class="table" id="slo-consumers">
              <thead><tr><th>Consumer</th><th class="t-num">Requests</th><th class="t-num">Attainment</th><th>Budget left</th></tr></thead>
              <tbody>${d.items.map((c) => html`<tr data-consumer=${c.consumerId} data-breaching=${String(c.breaching)}>
                <td><a href=${hrefFor("consumers", { consumer: c.consumerId, window: slo.window === "7d" ? "7d" : "30d" })}>${c.consumerId}</a></td>
                <td class="t-num">${formatInt(c.requests)}</td><td class="t-num">${percent(c.attainment)}</td>
                <td>${c.budgetRemainingRatio == null ? "—" : c.budgetRemainingRatio <= 0 ? html`<span class="bad">exhausted</span>` : formatRatio(c.budgetRemainingRatio)}</td>
              </tr>`)}</tbody>
            </table></div>`}
        <//>`
      : null}
    <${BurnRateAlerts} slo=${slo} />
  </section>`;
}

function SloForm({ onSaved, onCancel }: { onSaved: (s: Slo) => void; onCancel: () => void }) {
  const [body, setBody] = useState<SloBody>({ name: "", filters: {}, sli: { type: "availability" }, objective: 0.999, window: "30d", perConsumer: null });
  const { busy, errors, failure, submit } = useFormSubmit();
  const set = (patch: Partial<SloBody>) => setBody({ ...body, ...patch });
  const text = (e: Event) => (e.target as HTMLInputElement).value;
  const save = (e: Event) => submit(e, async () => onSaved(await createSlo(body)));
  return html`<form class="card detail" id="slo-form" onSubmit=${save} aria-label="New SLO">
    <div class="card-head"><h2>New SLO</h2></div>
    <label for="slo-name">Name</label><input id="slo-name" required maxLength=${200} value=${body.name} onInput=${(e: Event) => set({ name: text(e) })} />
    <${FieldError} errors=${errors} field="name" />
    <label for="slo-sli">Indicator</label>
    <select id="slo-sli" value=${body.sli.type} onChange=${(e: Event) => set({ sli: text(e) === "latency" ? { type: "latency", thresholdMs: 300 } : { type: "availability" } })}>
      <option value="availability">Availability: requests not answered 5xx</option><option value="latency">Latency: requests within a threshold</option>
    </select>
    ${body.sli.type === "latency"
      ? html`<label for="slo-threshold">Threshold (ms)</label><input id="slo-threshold" type="number" min="1" max="3600000" value=${body.sli.thresholdMs}
          onInput=${(e: Event) => set({ sli: { type: "latency", thresholdMs: Number(text(e)) } })} /><${FieldError} errors=${errors} field="sli.thresholdMs" />`
      : null}
    <label for="slo-objective">Objective (share of good requests)</label>
    <input id="slo-objective" type="number" step="0.0001" min="0.5" max="0.99999" value=${body.objective} onInput=${(e: Event) => set({ objective: Number(text(e)) })} />
    <${FieldError} errors=${errors} field="objective" />
    <label for="slo-window">Window</label>
    <select id="slo-window" value=${body.window} onChange=${(e: Event) => set({ window: text(e) as SloBody["window"] })}>
      <option value="7d">7 days</option><option value="28d">28 days</option><option value="30d">30 days</option></select>
    <label for="slo-route">Route (optional)</label><input id="slo-route" value=${body.filters.route ?? ""} onInput=${(e: Event) => set({ filters: { ...body.filters, route: text(e) || undefined } })} />
    <label for="slo-method">Method (with a route)</label><input id="slo-method" value=${body.filters.method ?? ""} onInput=${(e: Event) => set({ filters: { ...body.filters, method: text(e) || undefined } })} />
    <label for="slo-environment">Environment (optional)</label><input id="slo-environment" value=${body.filters.environment ?? ""} onInput=${(e: Event) => set({ filters: { ...body.filters, environment: text(e) || undefined } })} />
    <${FieldError} errors=${errors} field="filters" />
    <label class="checkbox" for="slo-per-consumer"><input id="slo-per-consumer" type="checkbox" checked=${!!body.perConsumer}
      onChange=${(e: Event) => set({ perConsumer: (e.target as HTMLInputElement).checked ? { top: 20 } : null })} /> One SLO per consumer (the 20 busiest)</label>
    <${FieldError} errors=${errors} field="perConsumer" />
    <p><button type="submit" class="btn btn-primary" id="slo-save" disabled=${busy}>${busy ? "Saving…" : "Create SLO"}</button>
      <button type="button" class="btn" id="slo-cancel" onClick=${onCancel}>Cancel</button>
      ${failure ? html` <span class="form-error" role="alert">${failure}</span>` : null}</p>
  </form>`;
}

export function SlosView({ params }: { params: Params }) {
  const { isAdmin } = useRole();
  const slos = useAsync(listSlos, []);
  const selected = slos.data?.items.find((s) => s.id === params["id"]);
  const creating = isAdmin && params["new"] === "1";
  return html`<div class="view" id="view-slos">
    <div class="section-head"><h1>Service levels</h1>
      ${isAdmin ? html`<button type="button" class="btn btn-primary" id="slo-new" onClick=${() => setParams({ new: "1", id: null })}>New SLO</button>` : null}</div>
    <div class=${`split ${selected || creating ? "has-detail" : ""}`}>
      <section class="card" aria-label="SLO list">
        <${Async} state=${slos} isEmpty=${(d: { items: Slo[] }) => d.items.length === 0} empty="No SLOs yet.">
          ${(d: { items: Slo[] }) => html`<div class="table-wrap" tabindex="0" aria-label="SLOs table"><table class="table" id="slos-table">
            <thead><tr><th>Name</th><th>Objective</th><th>Traffic</th><th class="t-num">Attainment</th><th>Budget left</th><th class="t-num">Burn</th>${isAdmin ? html`<th aria-label="Actions"></th>` : null}</tr></thead>
            <tbody>${d.items.map((s) => html`<tr key=${s.id} data-slo-id=${s.id} data-breaching=${String(!!s.status?.breaching)} class=${s.id === params["id"] ? "selected" : ""}>
              <td><a href=${hrefFor("slos", { id: s.id })}>${s.name}</a></td>
              <td>${percent(s.objective)} ${describeSli(s)}, ${s.window}</td>
              <td>${describeScope(s)}</td>
              <td class="t-num">${percent(s.status?.attainment)}</td>
              <td><${BudgetBar} status=${s.status} /></td>
              <td class="t-num">${s.status?.burnRate == null ? "—" : `${s.status.burnRate.toFixed(2)}×`}</td>
              ${isAdmin ? html`<td><${ActionButton} label="Delete" danger=${true} aria=${`Delete ${s.name}`} confirm=${`Delete the SLO "${s.name}"?`}
                run=${() => deleteSlo(s.id)} done=${slos.reload} /></td>` : null}
            </tr>`)}</tbody>
          </table></div>`}
        <//>
      </section>
      ${creating ? html`<${SloForm} onSaved=${(s: Slo) => { slos.reload(); setParams({ new: null, id: s.id }); }} onCancel=${() => setParams({ new: null })} />` : null}
      ${!creating && selected ? html`<${SloDetail} key=${selected.id} slo=${selected} />` : null}
    </div>
  </div>`;
}
