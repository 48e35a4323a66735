// The API's validation errors (problem+json `errors`: [{field, message}])
// by field, so a form shows each next to its input.

import { ApiError } from "../api";
import { html } from "./html";

export type FieldErrors = Record<string, string>;

export function fieldErrorsOf(err: unknown): FieldErrors {
  if (!(err instanceof ApiError) || err.status !== 400) return {};
  const raw = err.problem?.errors;
  const out: FieldErrors = {};
  const add = (field: unknown, message: unknown) => {
    const f = typeof field === "string" && field !== "" ? field : "$";
    const m = String(message ?? "");
    out[f] = out[f] ? `${out[f]} ${m}` : m;
  };
  if (Array.isArray(raw)) {
    for (const e of raw) if (e && typeof e === "object") add((e as { field?: unknown }).field, (e as { message?: unknown }).message);
  } else if (raw && typeof raw === "object") {
    for (const [f, m] of Object.entries(raw as Record<string, unknown>)) add(f, Array.isArray(m) ? m.join(" ") : m);
  }
  return out;
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
