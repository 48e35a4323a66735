// A new silence: matchers (prefilled when made from an alert), how long, a
// comment, expire-on-resolve, and a live preview of the open alerts it would
// mute, so nobody silences more (or less) than they meant to.

import { useEffect, useState } from "preact/hooks";
import { createSilence, previewSilence, type AlertItem, type Matcher, type Silence } from "../alerting-api";
import { describeError } from "../api";
import { formatInt } from "../format";
import { useAsync } from "../ui/async";
import { FieldError, OtherErrors } from "../ui/field-errors";
import { useFormSubmit } from "../ui/form-submit";
import { MatcherRows, matcherFields } from "./MatcherRows";
import { formatGroup } from "../ui/format";
import { html } from "../ui/html";
import { StateBadge } from "./AlertsView";

/** How long a new silence lasts (the API allows up to 30 days by default). */
export const SILENCE_DURATIONS: [string, number][] = [
  ["1 hour", 1],
  ["2 hours", 2],
  ["4 hours", 4],
  ["8 hours", 8],
  ["1 day", 24],
  ["3 days", 72],
  ["7 days", 168],
];

/** Matchers from the `matchers` URL parameter (JSON), ignoring anything malformed. */
export function matchersFromParam(raw: string | undefined): Matcher[] {
  if (!raw) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!Array.isArray(parsed)) return [];
    return parsed
      .filter((m): m is Matcher => !!m && typeof m === "object" && typeof m.name === "string" && typeof m.op === "string" && typeof m.value === "string")
      .slice(0, 20);
  } catch {
    return [];
  }
}

/** The URL parameter that opens the form with these matchers. */
export const matchersParam = (matchers: Matcher[]): string => JSON.stringify(matchers);

export function describeMatcher(m: Matcher): string {
  return `${m.name}${m.op}"${m.value}"`;
}

function Preview({ matchers }: { matchers: Matcher[] }) {
  // Previewed once typing pauses; the API checks the matchers (an invalid one is said here too).
  const [settled, setSettled] = useState(matchers);
  useEffect(() => {
    const t = setTimeout(() => setSettled(matchers), 400);
    return () => clearTimeout(t);
  }, [JSON.stringify(matchers)]);
  const preview = useAsync(() => previewSilence(settled), [JSON.stringify(settled)]);
  if (preview.loading && preview.data === undefined) return html`<p class="muted" id="silence-preview" aria-live="polite">Checking which alerts it matches…</p>`;
  if (preview.error !== undefined) return html`<p class="muted" id="silence-preview" aria-live="polite">Matches: ${describeError(preview.error)}</p>`;
  const d = preview.data!;
  return html`<div id="silence-preview" aria-live="polite" data-matched=${d.matched}>
    <p><strong>${d.matched === 0 ? "Matches no open alert now." : `Matches ${formatInt(d.matched)} open alert${d.matched === 1 ? "" : "s"} now:`}</strong></p>
    ${d.items.length > 0
      ? html`<ul class="plain-list" id="silence-preview-items">
          ${d.items.slice(0, 20).map((a: AlertItem) => html`<li data-alert-id=${a.id}><${StateBadge} state=${a.state} /> ${a.ruleName} · ${formatGroup(a.group)}</li>`)}
        </ul>${d.items.length > 20 ? html`<p class="muted">and ${formatInt(d.matched - 20)} more</p>` : null}`
      : null}
  </div>`;
}

export function SilenceForm({ initial, onSaved, onCancel }: { initial: Matcher[]; onSaved: (s: Silence) => void; onCancel: () => void }) {
  const [matchers, setMatchers] = useState<Matcher[]>(initial.length > 0 ? initial : [{ name: "route", op: "=", value: "" }]);
  const [hours, setHours] = useState(2);
  const [comment, setComment] = useState("");
  const [expireOnResolve, setExpireOnResolve] = useState(initial.length > 0);
  const { busy, errors, failure, submit } = useFormSubmit();

  const save = (e: Event) =>
    submit(e, async () => {
      const endsAt = new Date(Date.now() + hours * 3_600_000).toISOString();
      onSaved(await createSilence({ matchers, endsAt, comment, expireOnResolve }));
    });
  const shown = ["endsAt", "comment", ...matcherFields(matchers)];

  return html`<form class="card detail form" id="silence-form" aria-label="New silence" onSubmit=${save}>
    <div class="card-head"><h2>New silence</h2></div>
    <${MatcherRows} matchers=${matchers} onChange=${setMatchers} errors=${errors} />
    <${Preview} matchers=${matchers} />
    <label class="field">for
      <select id="silence-duration" value=${String(hours)} onChange=${(e: Event) => setHours(Number((e.target as HTMLSelectElement).value))}>
        ${SILENCE_DURATIONS.map(([label, h]) => html`<option value=${String(h)}>${label}</option>`)}
      </select>
      <${FieldError} errors=${errors} field="endsAt" />
    </label>
    <label class="field">comment (why, for the others on call)
      <textarea id="silence-comment" maxLength=${1000} required value=${comment} onInput=${(e: Event) => setComment((e.target as HTMLTextAreaElement).value)}></textarea>
      <${FieldError} errors=${errors} field="comment" />
    </label>
    <label class="field checkbox"><input type="checkbox" id="silence-expire-on-resolve" checked=${expireOnResolve}
        onChange=${(e: Event) => setExpireOnResolve((e.target as HTMLInputElement).checked)} /> end the silence when the alert it matches resolves</label>
    <${OtherErrors} errors=${errors} shown=${shown} />
    ${failure ? html`<p class="form-error" role="alert">${failure}</p>` : null}
    <div class="actions">
      <button type="submit" class="btn btn-primary" id="silence-save" disabled=${busy}>${busy ? "Saving…" : "Create silence"}</button>
      <button type="button" class="btn" onClick=${onCancel}>Cancel</button>
    </div>
  </form>`;
}
