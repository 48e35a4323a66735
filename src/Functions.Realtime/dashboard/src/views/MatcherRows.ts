// The matchers of a silence or a maintenance window, one row each (label,
// match, value), with their errors next to them; all must match an alert.

import { MATCHER_NAMES, MATCHER_OPS, type Matcher } from "../alerting-api";
import { FieldError, type FieldErrors } from "../ui/field-errors";
import { html } from "../ui/html";

/** The error fields the rows show, so a form's other errors list the rest. */
export const matcherFields = (matchers: Matcher[]): string[] => [
  "matchers",
  ...matchers.flatMap((_, i) => [`matchers[${i}]`, `matchers[${i}].name`, `matchers[${i}].op`, `matchers[${i}].value`]),
];

export function MatcherRows({ matchers, onChange, errors, legend = "Alerts it mutes: all of these must match" }: {
  matchers: Matcher[];
  onChange: (next: Matcher[]) => void;
  errors: FieldErrors;
  legend?: string;
}) {
  const change = (i: number, patch: Partial<Matcher>) => onChange(matchers.map((m, j) => (j === i ? { ...m, ...patch } : m)));
  return html`<fieldset>
    <legend>${legend}</legend>
    ${matchers.map(
      (m, i) => html`<div class="matcher-row" data-matcher=${i}>
        <label class="inline-field">label
          <select class="matcher-name" value=${m.name} onChange=${(e: Event) => change(i, { name: (e.target as HTMLSelectElement).value })}>
            ${MATCHER_NAMES.map((n) => html`<option value=${n}>${n}</option>`)}
          </select></label>
        <label class="inline-field">match
          <select class="matcher-op" value=${m.op} onChange=${(e: Event) => change(i, { op: (e.target as HTMLSelectElement).value })}>
            ${MATCHER_OPS.map((o) => html`<option value=${o}>${o}</option>`)}
          </select></label>
        <label class="inline-field">value
          <input class="matcher-value" value=${m.value} maxLength=${1024} onInput=${(e: Event) => change(i, { value: (e.target as HTMLInputElement).value })} /></label>
        ${matchers.length > 1
          ? html`<button type="button" class="btn btn-small" aria-label=${`Remove matcher ${i + 1}`} onClick=${() => onChange(matchers.filter((_, j) => j !== i))}>×</button>`
          : null}
        <${FieldError} errors=${errors} field=${`matchers[${i}]`} /><${FieldError} errors=${errors} field=${`matchers[${i}].value`} />
      </div>`,
    )}
    ${matchers.length < 20
      ? html`<button type="button" class="btn btn-small matcher-add" onClick=${() => onChange([...matchers, { name: "route", op: "=", value: "" }])}>Add matcher</button>`
      : null}
    <${FieldError} errors=${errors} field="matchers" />
  </fieldset>`;
}
