// The API's validation errors (problem+json `errors`: [{field, message}])
// by field, so a form shows each next to its input.

import { ApiError } from "../api";
import { html } from "./html";

export type FieldErrors = Record<string, string>;

/**
 * By field; with `indexed`, an error that names an item (`{field: "steps.delay", index: 1}`) is keyed
 * `steps[1].delay` (`steps[1]` for the item itself), so a form of repeated rows shows it on its row.
 */
export function fieldErrorsOf(err: unknown, indexed = false): FieldErrors {
  if (!(err instanceof ApiError) || err.status !== 400) return {};
  const raw = err.problem?.errors;
  const out: FieldErrors = {};
  const add = (field: unknown, message: unknown) => {
    const f = typeof field === "string" && field !== "" ? field : "$";
    const m = String(message ?? "");
    out[f] = out[f] ? `${out[f]} ${m}` : m;
  };
  if (Array.isArray(raw)) {
    for (const e of raw) {
      if (!e || typeof e !== "object") continue;
      const { field, message, index } = e as { field?: unknown; message?: unknown; index?: unknown };
      add(indexed && typeof index === "number" && typeof field === "string" ? atIndex(field, index) : field, message);
    }
  } else if (raw && typeof raw === "object") {
    for (const [f, m] of Object.entries(raw as Record<string, unknown>)) add(f, Array.isArray(m) ? m.join(" ") : m);
  }
  return out;
}

/** "steps.delay" of item 1 → "steps[1].delay"; "steps" → "steps[1]". */
export function atIndex(field: string, index: number): string {
  const dot = field.indexOf(".");
  return dot < 0 ? `${field}[${index}]` : `${field.slice(0, dot)}[${index}]${field.slice(dot)}`;
}

/** The message for one field, shown under its input (and nothing when there is none). */
export function FieldError({ errors, field }: { errors: FieldErrors; field: string }) {
  const m = errors[field];
  return m ? html`<span class="field-error" data-error-for=${field} role="alert">${m}</span>` : null;
}

/** The errors no input of the form shows. */
export function OtherErrors({ errors, shown }: { errors: FieldErrors; shown: string[] }) {
  const rest = Object.entries(errors).filter(([f]) => !shown.includes(f));
  if (rest.length === 0) return null;
  return html`<ul class="form-error" data-error-for="other">${rest.map(([f, m]) => html`<li>${f === "$" ? "" : `${f}: `}${m}</li>`)}</ul>`;
}
