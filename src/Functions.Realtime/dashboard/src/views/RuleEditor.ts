// The rule editor: every field of the contract's rule body, the API's
// validation errors by field, enable/delete, and the preview chart.

import { useEffect, useRef, useState } from "preact/hooks";
import {
  BURN_LEVELS,
  BURN_PAIRS,
  ANOMALY_WARM_UP,
  CONDITION_TYPES,
  DIRECTIONS,
  SENSITIVITIES,
  createRule,
  deleteRule,
  getRule,
  GROUP_BY,
  listChannels,
  listEscalationPolicies,
  METRICS,
  NO_DATA,
  OPERATORS,
  previewRule,
  SEVERITIES,
  updateRule,
  type Channel,
  type EscalationPolicy,
  type Rule,
  type RuleBody,
  type RulePreview,
} from "../alerting-api";
import { ApiError, describeError } from "../api";
import { listSlos, type Slo } from "../slo-api";
import { hrefFor, setParams } from "../router";
import { useAsync } from "../ui/async";
import { FieldError, fieldErrorsOf, OtherErrors, type FieldErrors } from "../ui/field-errors";
import { html } from "../ui/html";
import { useRole } from "../ui/role";
import { ErrorState, Loading } from "../ui/states";
import { PreviewChart } from "./PreviewChart";
import { RuleBaselinesPanel } from "./RuleBaselines";

interface Form {
  name: string;
  enabled: boolean;
  severity: string;
  type: string;
  // A burn-rate condition's SLO and level.
  sloId: string;
  level: string;
  // An anomaly condition's band and its fallback threshold for groups still warming up (empty: none).
  sensitivity: string;
  direction: string;
  fallbackOperator: string;
  fallbackThreshold: string;
  metric: string;
  operator: string;
  threshold: string;
  window: string;
  for: string;
  route: string;
  method: string;
  environment: string;
  consumerId: string;
  groupBy: string[];
  minRequests: string;
  channelIds: string[];
  escalationPolicyId: string;
  // Flap control and no data; empty: the API's default (sent only when set).
  recoveryThreshold: string;
  keepFiringFor: string;
  noData: string;
  noDataFor: string;
  groupWait: string;
  groupInterval: string;
  repeatInterval: string;
  flap: boolean;
  flapChanges: string;
  flapWithin: string;
}

/** The API's defaults for the notification timing (a value equal to its default is shown as empty). */
export const RULE_DEFAULTS = { groupWait: "30s", groupInterval: "5m", repeatInterval: "4h", keepFiringFor: "0s" };

const BLANK: Form = {
  name: "",
  enabled: true,
  severity: "warning",
  type: "threshold",
  sloId: "",
  level: "page",
  sensitivity: "medium",
  direction: "both",
  fallbackOperator: ">",
  fallbackThreshold: "",
  metric: "error_rate",
  operator: ">",
  threshold: "0.05",
  window: "5m",
  for: "1m",
  route: "",
  method: "",
  environment: "",
  consumerId: "",
  groupBy: [],
  minRequests: "",
  channelIds: [],
  escalationPolicyId: "",
  recoveryThreshold: "",
  keepFiringFor: "",
  noData: "ok",
  noDataFor: "",
  groupWait: "",
  groupInterval: "",
  repeatInterval: "",
  flap: false,
  flapChanges: "4",
  flapWithin: "30m",
};

/** A value read back, or empty when it is the default (so a later change of the default applies). */
const unlessDefault = (v: string | null | undefined, d: string) => (v == null || v === d ? "" : v);

function toForm(r: Rule): Form {
  const c = r.condition;
  const f = c.filters ?? {};
  return {
    name: r.name,
    enabled: r.enabled,
    severity: r.severity,
    type: c.type,
    sloId: c.sloId ?? "",
    level: c.level ?? "page",
    sensitivity: c.sensitivity ?? BLANK.sensitivity,
    direction: c.direction ?? BLANK.direction,
    fallbackOperator: c.fallback?.operator ?? BLANK.fallbackOperator,
    fallbackThreshold: c.fallback == null ? "" : String(c.fallback.threshold),
    metric: c.metric ?? BLANK.metric,
    operator: c.operator ?? BLANK.operator,
    threshold: String(c.threshold ?? BLANK.threshold),
    window: c.window ?? BLANK.window,
    for: r.for ?? "",
    route: f.route ?? "",
    method: f.method ?? "",
    environment: f.environment ?? "",
    consumerId: f.consumerId ?? "",
    groupBy: c.groupBy ?? [],
    minRequests: c.minRequests == null ? "" : String(c.minRequests),
    channelIds: r.channelIds ?? [],
    escalationPolicyId: r.escalationPolicyId ?? "",
    recoveryThreshold: c.recoveryThreshold == null ? "" : String(c.recoveryThreshold),
    keepFiringFor: unlessDefault(r.keepFiringFor, RULE_DEFAULTS.keepFiringFor),
    noData: r.noData ?? "ok",
    noDataFor: unlessDefault(r.noDataFor, c.window ?? ""), // read back as the window when the rule leaves it out
    groupWait: unlessDefault(r.groupWait, RULE_DEFAULTS.groupWait),
    groupInterval: unlessDefault(r.groupInterval, RULE_DEFAULTS.groupInterval),
    repeatInterval: unlessDefault(r.repeatInterval, RULE_DEFAULTS.repeatInterval),
    flap: r.flapDetection != null,
    flapChanges: r.flapDetection ? String(r.flapDetection.changes) : BLANK.flapChanges,
    flapWithin: r.flapDetection?.within ?? BLANK.flapWithin,
  };
}

const orNull = (s: string) => (s.trim() === "" ? null : s.trim());

/**
 * The body sent to the API; numbers the browser cannot read are sent as they are, for the API to name. The optional
 * fields go only when set (`flapDetection: null` only to turn off what the rule had), so a server that does not know
 * one yet is not sent it.
 */
export function toBody(f: Form, hadFlapDetection = false): RuleBody {
  const num = (s: string) => (s.trim() === "" ? NaN : Number(s));
  const threshold = num(f.threshold);
  const min = num(f.minRequests);
  const recovery = num(f.recoveryThreshold);
  const changes = num(f.flapChanges);
  const optional: Partial<RuleBody> = {};
  for (const key of ["keepFiringFor", "noDataFor", "groupWait", "groupInterval", "repeatInterval"] as const) {
    const v = orNull(f[key]);
    if (v !== null) optional[key] = v;
  }
  if (f.noData !== "ok") optional.noData = f.noData;
  if (f.flap)
    optional.flapDetection = { changes: Number.isFinite(changes) ? changes : (f.flapChanges as unknown as number), within: f.flapWithin.trim() };
  else if (hadFlapDetection) optional.flapDetection = null;
  const filters = { route: orNull(f.route), method: orNull(f.method), environment: orNull(f.environment), consumerId: orNull(f.consumerId) };
  if (f.type === "burn_rate") {
    // Its metric, windows, filters and groups come from the SLO and the level; no data cannot alert (nothing burns).
    delete optional.noDataFor;
    if (optional.noData === "alerting") delete optional.noData;
    return {
      name: f.name.trim(),
      enabled: f.enabled,
      severity: f.severity,
      condition: { type: "burn_rate", sloId: orNull(f.sloId), level: f.level, minRequests: Number.isFinite(min) ? min : null },
      for: orNull(f.for),
      channelIds: f.channelIds,
      escalationPolicyId: orNull(f.escalationPolicyId),
      ...optional,
    };
  }
  if (f.type === "anomaly") {
    const fallback = num(f.fallbackThreshold);
    return {
      name: f.name.trim(),
      enabled: f.enabled,
      severity: f.severity,
      condition: {
        type: "anomaly",
        metric: f.metric,
        sensitivity: f.sensitivity,
        direction: f.direction,
        window: orNull(f.window) ?? undefined,
        filters: Object.values(filters).some((v) => v !== null) ? filters : null,
        groupBy: f.groupBy.length ? f.groupBy : null,
        minRequests: Number.isFinite(min) ? min : null,
        fallback: f.fallbackThreshold.trim() === ""
          ? null
          : { operator: f.fallbackOperator, threshold: Number.isFinite(fallback) ? fallback : (f.fallbackThreshold as unknown as number) },
      },
      for: orNull(f.for),
      channelIds: f.channelIds,
      escalationPolicyId: orNull(f.escalationPolicyId),
      ...optional,
    };
  }
  return {
    name: f.name.trim(),
    enabled: f.enabled,
    severity: f.severity,
    condition: {
      type: "threshold",
      metric: f.metric,
      operator: f.operator,
      threshold: Number.isFinite(threshold) ? threshold : (f.threshold as unknown as number),
      window: f.window.trim(),
      filters: Object.values(filters).some((v) => v !== null) ? filters : null,
      groupBy: f.groupBy.length ? f.groupBy : null,
      minRequests: Number.isFinite(min) ? min : null,
      ...(f.recoveryThreshold.trim() === "" ? {} : { recoveryThreshold: Number.isFinite(recovery) ? recovery : (f.recoveryThreshold as unknown as number) }),
    },
    for: orNull(f.for),
    channelIds: f.channelIds,
    escalationPolicyId: orNull(f.escalationPolicyId),
    ...optional,
  };
}

/** Checks what the browser can check before asking the API (which checks everything again). */
function localErrors(f: Form): FieldErrors {
  const e: FieldErrors = {};
  if (f.type === "burn_rate" && !f.sloId) e["condition.sloId"] = "Choose the SLO whose budget the rule watches.";
  if (f.type === "threshold" && (f.threshold.trim() === "" || !Number.isFinite(Number(f.threshold)))) e["condition.threshold"] = "Must be a number.";
  if (f.minRequests.trim() !== "" && !Number.isInteger(Number(f.minRequests))) e["condition.minRequests"] = "Must be a whole number.";
  if (f.recoveryThreshold.trim() !== "" && !Number.isFinite(Number(f.recoveryThreshold))) e["condition.recoveryThreshold"] = "Must be a number.";
  if (f.type === "anomaly" && f.fallbackThreshold.trim() !== "" && !Number.isFinite(Number(f.fallbackThreshold)))
    e["condition.fallback.threshold"] = "Must be a number, or empty for no fallback.";
  if (f.flap && !(Number.isInteger(Number(f.flapChanges)) && Number(f.flapChanges) >= 1)) e["flapDetection.changes"] = "Must be a whole number, at least 1.";
  return e;
}

const FIELDS = ["name", "severity", "for", "channelIds", "condition", "condition.type", "condition.sloId", "condition.level", "condition.metric", "condition.operator", "condition.threshold",
  "condition.window", "condition.sensitivity", "condition.direction", "condition.fallback.operator", "condition.fallback.threshold", "condition.filters", "condition.groupBy", "condition.minRequests", "condition.recoveryThreshold", "escalationPolicyId",
  "keepFiringFor", "noData", "noDataFor", "groupWait", "groupInterval", "repeatInterval", "flapDetection", "flapDetection.changes", "flapDetection.within"];

export const PREVIEW_RANGES = ["1h", "6h", "24h", "7d"];

const WINDOW_DAYS: Record<string, number> = { "7d": 7, "28d": 28, "30d": 30 };
const hours = (h: number) => (h < 1 ? `${Math.round(h * 60)} min` : h >= 24 ? `${h / 24} days` : `${h} h`);

/** What a burn-rate level alerts at for an SLO: "14.4× over 1 h and 5 min, or 6× over 6 h and 30 min". */
export function describeBurnLevel(level: string, slo: Slo | undefined): string {
  const days = slo ? WINDOW_DAYS[slo.window] ?? 30 : 30;
  return BURN_PAIRS[level === "ticket" ? "ticket" : "page"]!
    .map((p) => `${+(p.share * days * 24 / p.long).toFixed(2)}× the sustainable burn over ${hours(p.long)} and ${hours(p.short)} (${p.share * 100} % of the budget)`)
    .join(", or ");
}

function BurnRateFields({ form, slos, readOnly, errors, onChange }: {
  form: Form; slos: Slo[] | undefined; readOnly: boolean; errors: FieldErrors; onChange: (patch: Partial<Form>) => void;
}) {
  const slo = slos?.find((s) => s.id === form.sloId);
  const value = (e: Event) => (e.target as HTMLSelectElement).value;
  return html`<div class="form-row">
      <label class="field"><span>SLO</span>
        <select id="rule-sloId" name="sloId" value=${form.sloId} disabled=${readOnly} onChange=${(e: Event) => onChange({ sloId: value(e) })}
          aria-invalid=${errors["condition.sloId"] ? "true" : "false"}>
          <option value="">choose an SLO</option>
          ${(slos ?? []).map((s) => html`<option value=${s.id}>${s.name}</option>`)}
          ${form.sloId && slos && !slo ? html`<option value=${form.sloId}>${form.sloId.slice(0, 8)}…</option>` : null}
        </select>
        <${FieldError} errors=${errors} field="condition.sloId" />
      </label>
      <label class="field"><span>Level</span>
        <select id="rule-level" name="level" value=${form.level} disabled=${readOnly} onChange=${(e: Event) => onChange({ level: value(e) })}>
          ${BURN_LEVELS.map((l) => html`<option value=${l}>${l === "page" ? "page (fast burn)" : "ticket (slow burn)"}</option>`)}
        </select>
        <${FieldError} errors=${errors} field="condition.level" />
      </label>
    </div>
    <p class="muted" id="rule-burn-note">Fires at ${describeBurnLevel(form.level, slo)}${slo ? ` of “${slo.name}” (${(slo.objective * 100).toFixed(3).replace(/\.?0+$/, "")} % over ${slo.window})` : ""}.
      The value is the burn over the pair's factor: 1 and above fires.</p>`;
}

export function RuleEditor({ id, range, onSaved, onDeleted }: { id: string; range: string; onSaved: (id: string) => void; onDeleted: () => void }) {
  const { isAdmin } = useRole();
  const isNew = id === "new";
  const loaded = useAsync(() => (isNew ? Promise.resolve(null) : getRule(id)), [id]);
  const channels = useAsync(() => (isAdmin ? listChannels() : Promise.resolve({ items: [] as Channel[] })), [isAdmin]);
  const policies = useAsync(() => (isAdmin ? listEscalationPolicies() : Promise.resolve({ items: [] as EscalationPolicy[] })), [isAdmin]);
  const slos = useAsync(() => listSlos(), []);
  const [form, setFormState] = useState<Form>(BLANK);
  // The latest form, updated as the person types (a submit right after an input reads it, not a stale render's copy).
  const latest = useRef<Form>(BLANK);
  const setForm = (next: Form | ((f: Form) => Form)) => {
    latest.current = typeof next === "function" ? next(latest.current) : next;
    setFormState(latest.current);
  };
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);
  const [preview, setPreview] = useState<{ data?: RulePreview; error?: unknown; loading: boolean }>({ loading: false });

  useEffect(() => {
    if (loaded.data) setForm(toForm(loaded.data));
  }, [loaded.data]);

  if (!isNew && loaded.data === undefined) {
    return html`<section class="card detail" id="rule-editor">${loaded.error !== undefined
      ? html`<${ErrorState} error=${loaded.error} retry=${loaded.reload} />`
      : html`<${Loading} />`}</section>`;
  }

  const readOnly = !isAdmin;
  const set = (patch: Partial<Form>) => {
    setForm((f) => ({ ...f, ...patch }));
    setSaved(false);
  };
  const input = (key: keyof Form) => (e: Event) => set({ [key]: (e.target as HTMLInputElement).value } as Partial<Form>);
  const toggleIn = (key: "groupBy" | "channelIds", value: string) =>
    setForm((f) => ({ ...f, [key]: f[key].includes(value) ? f[key].filter((v) => v !== value) : [...f[key], value] }));

  const save = async (e: Event) => {
    e.preventDefault();
    const form = latest.current;
    const local = localErrors(form);
    setErrors(local);
    if (Object.keys(local).length > 0) return;
    setSaving(true);
    try {
      const hadFlap = loaded.data?.flapDetection != null;
      const rule = isNew ? await createRule(toBody(form)) : await updateRule(id, toBody(form, hadFlap));
      setSaved(true);
      onSaved(rule.id);
    } catch (err) {
      const byField = fieldErrorsOf(err);
      setErrors(Object.keys(byField).length > 0 ? byField : { $: describeError(err) });
    } finally {
      setSaving(false);
    }
  };

  const remove = async () => {
    if (!confirm(`Delete the rule "${form.name}"? Its open alerts are resolved.`)) return;
    try {
      await deleteRule(id);
      onDeleted();
    } catch (err) {
      setErrors({ $: describeError(err) });
    }
  };

  const runPreview = async () => {
    const form = latest.current;
    const local = localErrors(form);
    setErrors(local);
    if (Object.keys(local).length > 0) return;
    setPreview({ loading: true });
    try {
      setPreview({ loading: false, data: await previewRule(toBody(form, loaded.data?.flapDetection != null), range) });
    } catch (err) {
      const byField = fieldErrorsOf(err);
      if (Object.keys(byField).length > 0) setErrors(byField);
      setPreview({ loading: false, error: err });
    }
  };

  const field = (label: string, key: keyof Form, name: string, attrs: Record<string, unknown> = {}) => html`<label class="field">
    <span>${label}</span>
    <input id=${`rule-${key}`} name=${key} value=${form[key] as string} onInput=${input(key)} disabled=${readOnly}
      aria-invalid=${errors[name] ? "true" : "false"} ...${attrs} />
    <${FieldError} errors=${errors} field=${name} />
  </label>`;
  const select = (label: string, key: keyof Form, name: string, options: (string | [string, string])[]) => html`<label class="field">
    <span>${label}</span>
    <select id=${`rule-${key}`} name=${key} value=${form[key] as string} onChange=${input(key)} disabled=${readOnly}>
      ${options.map((o) => (typeof o === "string" ? html`<option value=${o}>${o}</option>` : html`<option value=${o[0]}>${o[1]}</option>`))}
    </select>
    <${FieldError} errors=${errors} field=${name} />
  </label>`;

  return html`<section class="card detail" id="rule-editor" data-rule-id=${isNew ? "" : id} aria-label="Rule editor">
    <div class="card-head">
      <h2>${isNew ? "New rule" : readOnly ? "Rule" : "Edit rule"}</h2>
      <button type="button" class="btn btn-small" id="rule-close" onClick=${() => setParams({ id: null })}>Close</button>
    </div>
    <form id="rule-form" class="form" novalidate onSubmit=${save}>
      ${field("Name", "name", "name", { maxLength: 200, required: true })}
      <div class="form-row">
        ${select("Severity", "severity", "severity", SEVERITIES)}
        <label class="field checkbox"><input type="checkbox" id="rule-enabled" checked=${form.enabled} disabled=${readOnly}
          onChange=${(e: Event) => set({ enabled: (e.target as HTMLInputElement).checked })} /> <span>enabled</span></label>
      </div>
      <fieldset>
        <legend>Condition</legend>
        ${select("Type", "type", "condition.type", CONDITION_TYPES.map(([v, label]): [string, string] => [v, label]))}
        ${form.type === "burn_rate"
          ? html`<${BurnRateFields} form=${form} slos=${slos.data?.items} readOnly=${readOnly} errors=${errors} onChange=${set} />
            <div class="form-row">
              ${field("For", "for", "for", { placeholder: "0s" })}
              ${field("Min requests (longest window)", "minRequests", "condition.minRequests", { inputMode: "numeric" })}
            </div>`
          : html`${form.type === "anomaly"
            ? html`<div class="form-row">
                ${select("Metric", "metric", "condition.metric", METRICS)}
                ${select("Sensitivity", "sensitivity", "condition.sensitivity", SENSITIVITIES.map((v): [string, string] => [v, v]))}
                ${select("Direction", "direction", "condition.direction", DIRECTIONS.map((v): [string, string] => [v, v === "both" ? "above or below" : v]))}
              </div>
              <div class="form-row">
                ${select("While warming up, fire when the metric is", "fallbackOperator", "condition.fallback.operator", OPERATORS)}
                ${field("Fallback threshold", "fallbackThreshold", "condition.fallback.threshold", { inputMode: "decimal", placeholder: "none: wait" })}
              </div>
              <p class="muted" id="rule-anomaly-note">Each group is judged against what is usual for it at that hour: by the hour of the day once it has
                ${ANOMALY_WARM_UP.daily} of history, by the hour of the week after ${ANOMALY_WARM_UP.weekly}. Until then it is warming up and judged by the
                fallback threshold, or not at all. The value is the distance outside the band: 1 and above fires.</p>`
            : html`<div class="form-row">
          ${select("Metric", "metric", "condition.metric", METRICS)}
          ${select("Operator", "operator", "condition.operator", OPERATORS)}
          ${field("Threshold", "threshold", "condition.threshold", { inputMode: "decimal" })}
        </div>`}
        <div class="form-row">
          ${field("Window", "window", "condition.window", { placeholder: form.type === "anomaly" ? "10m" : "5m" })}
          ${field("For", "for", "for", { placeholder: "1m" })}
          ${field("Min requests", "minRequests", "condition.minRequests", { inputMode: "numeric" })}
        </div>
        <div class="form-row">
          ${field("Route", "route", "condition.filters", { placeholder: "any" })}
          ${field("Method", "method", "condition.filters.method", { placeholder: "any" })}
          ${field("Environment", "environment", "condition.filters.environment", { placeholder: "any" })}
          ${field("Consumer", "consumerId", "condition.filters.consumerId", { placeholder: "any" })}
        </div>
        <div class="field" role="group" aria-label="Group by">
          <span>Group by</span>
          <div class="checks" id="rule-groupBy">
            ${GROUP_BY.map((g) => html`<label class="checkbox"><input type="checkbox" value=${g} checked=${form.groupBy.includes(g)} disabled=${readOnly}
              onChange=${() => toggleIn("groupBy", g)} /> ${g}</label>`)}
          </div>
          <${FieldError} errors=${errors} field="condition.groupBy" />
        </div>`}
      </fieldset>
      <fieldset id="rule-flap-control">
        <legend>Flap control and no data</legend>
        <div class="form-row">
          ${form.type === "threshold"
            ? field("Recovery threshold (resolves only past it)", "recoveryThreshold", "condition.recoveryThreshold", { inputMode: "decimal", placeholder: "the threshold" })
            : null}
          ${field("Keep firing for", "keepFiringFor", "keepFiringFor", { placeholder: RULE_DEFAULTS.keepFiringFor })}
        </div>
        <div class="form-row">
          ${select("With no data", "noData", "noData", NO_DATA.filter((v) => form.type === "threshold" || v !== "alerting")
            .map((v): [string, string] => [v, v === "ok" ? "ok (resolves)" : v === "alerting" ? "alerting (fires)" : "keepState (no change)"]))}
          ${form.type === "threshold" ? field("No data for", "noDataFor", "noDataFor", { placeholder: form.window.trim() || "the window" }) : null}
        </div>
        <div class="form-row">
          <label class="field checkbox"><input type="checkbox" id="rule-flap" checked=${form.flap} disabled=${readOnly}
            onChange=${(e: Event) => set({ flap: (e.target as HTMLInputElement).checked })} /> <span>detect flapping</span></label>
          ${form.flap
            ? html`${field("More state changes than", "flapChanges", "flapDetection.changes", { inputMode: "numeric" })}
                ${field("Within", "flapWithin", "flapDetection.within", { placeholder: "30m" })}`
            : null}
        </div>
        <${FieldError} errors=${errors} field="flapDetection" />
      </fieldset>
      <fieldset id="rule-notification-timing">
        <legend>Notifications</legend>
        <div class="form-row">
          ${field("Group wait", "groupWait", "groupWait", { placeholder: RULE_DEFAULTS.groupWait })}
          ${field("Group interval", "groupInterval", "groupInterval", { placeholder: RULE_DEFAULTS.groupInterval })}
          ${field("Repeat interval", "repeatInterval", "repeatInterval", { placeholder: RULE_DEFAULTS.repeatInterval })}
        </div>
        ${isAdmin
          ? select("Escalation policy", "escalationPolicyId", "escalationPolicyId", [
              ["", "none"],
              ...(policies.data?.items ?? []).map((p): [string, string] => [p.id, p.name]),
              // A policy the list has not (yet) brought keeps its id, so a save does not drop it.
              ...(form.escalationPolicyId && !policies.data?.items.some((p) => p.id === form.escalationPolicyId)
                ? [[form.escalationPolicyId, policies.loading ? "…" : `${form.escalationPolicyId.slice(0, 8)}…`] as [string, string]]
                : []),
            ])
          : form.escalationPolicyId
            ? html`<p class="muted" id="rule-escalation-note">Escalates with a policy (Admins see which).</p>`
            : null}
      </fieldset>
      ${isAdmin
        ? html`<div class="field" role="group" aria-label="Channels">
            <span>Channels</span>
            <div class="checks" id="rule-channels">
              ${channels.data?.items.length
                ? channels.data.items.map((c) => html`<label class="checkbox"><input type="checkbox" value=${c.id} checked=${form.channelIds.includes(c.id)}
                    onChange=${() => toggleIn("channelIds", c.id)} /> ${c.name} <span class="muted">${c.type}</span></label>`)
                : html`<span class="muted">${channels.error !== undefined ? describeError(channels.error) : channels.loading ? "Loading…" : "No channels yet."}</span>`}
            </div>
            <${FieldError} errors=${errors} field="channelIds" />
          </div>`
        : null}
      <${OtherErrors} errors=${errors} shown=${FIELDS.filter((f) => f !== "condition")} />
      <div class="actions">
        ${isAdmin ? html`<button type="submit" class="btn btn-primary" id="rule-save" disabled=${saving}>${saving ? "Saving…" : isNew ? "Create rule" : "Save"}</button>` : null}
        <button type="button" class="btn" id="rule-preview" disabled=${preview.loading} onClick=${runPreview}>${preview.loading ? "Previewing…" : "Preview"}</button>
        <label class="inline-field">over
          <select id="rule-preview-range" value=${range} onChange=${(e: Event) => setParams({ range: (e.target as HTMLSelectElement).value }, true)}>
            ${PREVIEW_RANGES.map((w) => html`<option value=${w}>${w}</option>`)}
          </select>
        </label>
        ${isAdmin && !isNew ? html`<button type="button" class="btn btn-danger" id="rule-delete" onClick=${remove}>Delete</button>` : null}
        ${!isNew ? html`<a href=${hrefFor("alerts", { ruleId: id })} id="rule-alerts">Its alerts</a>` : null}
        ${saved ? html`<span class="ok-note" id="rule-saved" role="status">Saved.</span>` : null}
      </div>
    </form>
    <div class="preview" id="rule-preview-result">
      ${preview.loading && !preview.data ? html`<${Loading} what="Evaluating the rule over the history…" />` : null}
      ${preview.error !== undefined && !(preview.error instanceof ApiError && Object.keys(fieldErrorsOf(preview.error)).length > 0)
        ? html`<${ErrorState} error=${preview.error} />`
        : null}
      ${preview.data ? html`<${PreviewChart} preview=${preview.data} metric=${form.type === "burn_rate" ? "burn_rate" : form.metric} />` : null}
    </div>
    ${loaded.data?.condition.type === "anomaly" ? html`<${RuleBaselinesPanel} rule=${loaded.data} />` : null}
  </section>`;
}
