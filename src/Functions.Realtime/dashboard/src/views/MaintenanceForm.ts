// A new maintenance window: when it recurs (an RRULE, with presets), its
// first local start, how long, in which time zone, its exceptions, and the
// matchers of the alerts it mutes.

import { useState } from "preact/hooks";
import { createMaintenanceWindow, type Matcher, type MaintenanceWindow } from "../alerting-api";
import { FieldError, OtherErrors } from "../ui/field-errors";
import { useFormSubmit } from "../ui/form-submit";
import { html } from "../ui/html";
import { matcherFields, MatcherRows } from "./MatcherRows";

export const RRULE_PRESETS: [string, string][] = [
  ["every day", "FREQ=DAILY"],
  ["every Sunday", "FREQ=WEEKLY;BYDAY=SU"],
  ["weekdays", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"],
  ["first Sunday of the month", "FREQ=MONTHLY;BYDAY=1SU"],
  ["last Friday of the month", "FREQ=MONTHLY;BYDAY=-1FR"],
];

/** The viewer's IANA time zone (the default for a new window). */
export const viewerZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

const zones = (): string[] => {
  const all = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.("timeZone");
  return all && all.length > 0 ? all : [viewerZone(), "UTC"];
};

/** `2027-01-03T02:00` (a datetime-local input) as the API's local date-time, seconds included. */
export const withSeconds = (local: string): string => (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(local) ? `${local}:00` : local);

export function MaintenanceForm({ onSaved, onCancel }: { onSaved: (w: MaintenanceWindow) => void; onCancel: () => void }) {
  const [name, setName] = useState("");
  const [rrule, setRrule] = useState("FREQ=MONTHLY;BYDAY=1SU");
  const [start, setStart] = useState("");
  const [duration, setDuration] = useState("2h");
  const [timeZone, setTimeZone] = useState(viewerZone());
  const [exceptions, setExceptions] = useState("");
  const [matchers, setMatchers] = useState<Matcher[]>([{ name: "route", op: "=~", value: "" }]);
  const { busy, errors, failure, submit } = useFormSubmit();

  const save = (e: Event) =>
    submit(e, async () => {
      const body = {
        name, rrule, start: withSeconds(start), duration, timeZone, matchers, summaryAtEnd: false,
        exceptions: exceptions.split(/[\n,]/).map((x) => withSeconds(x.trim())).filter(Boolean),
      };
      onSaved(await createMaintenanceWindow(body));
    });
  const shown = ["name", "rrule", "start", "duration", "timeZone", "exceptions", ...matcherFields(matchers)];

  return html`<form class="card detail form" id="maintenance-form" aria-label="New maintenance window" onSubmit=${save}>
    <div class="card-head"><h2>New maintenance window</h2></div>
    <label class="field">name
      <input id="maintenance-name" value=${name} maxLength=${100} required onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} />
      <${FieldError} errors=${errors} field="name" />
    </label>
    <label class="field">recurs (RFC 5545 RRULE)
      <input id="maintenance-rrule" class="mono" value=${rrule} maxLength=${500} onInput=${(e: Event) => setRrule((e.target as HTMLInputElement).value)} />
      <${FieldError} errors=${errors} field="rrule" />
    </label>
    <label class="field">preset
      <select id="maintenance-preset" value=${RRULE_PRESETS.find(([, r]) => r === rrule)?.[1] ?? ""} onChange=${(e: Event) => setRrule((e.target as HTMLSelectElement).value || rrule)}>
        <option value="">custom</option>
        ${RRULE_PRESETS.map(([label, r]) => html`<option value=${r}>${label}</option>`)}
      </select>
    </label>
    <div class="form-row">
      <label class="field">first start (local time in the zone)
        <input id="maintenance-start" type="datetime-local" required value=${start} onInput=${(e: Event) => setStart((e.target as HTMLInputElement).value)} />
        <${FieldError} errors=${errors} field="start" />
      </label>
      <label class="field">duration (1m to 7d)
        <input id="maintenance-duration" value=${duration} onInput=${(e: Event) => setDuration((e.target as HTMLInputElement).value)} />
        <${FieldError} errors=${errors} field="duration" />
      </label>
      <label class="field">time zone
        <input id="maintenance-zone" list="maintenance-zones" value=${timeZone} onInput=${(e: Event) => setTimeZone((e.target as HTMLInputElement).value)} />
        <datalist id="maintenance-zones">${zones().map((z) => html`<option value=${z}></option>`)}</datalist>
        <${FieldError} errors=${errors} field="timeZone" />
      </label>
    </div>
    <label class="field">exceptions (local start times that do not happen, one per line)
      <textarea id="maintenance-exceptions" value=${exceptions} onInput=${(e: Event) => setExceptions((e.target as HTMLTextAreaElement).value)}></textarea>
      <${FieldError} errors=${errors} field="exceptions" />
    </label>
    <${MatcherRows} matchers=${matchers} onChange=${setMatchers} errors=${errors} legend="Alerts it mutes during each occurrence: all of these must match" />
    <${OtherErrors} errors=${errors} shown=${shown} />
    ${failure ? html`<p class="form-error" role="alert">${failure}</p>` : null}
    <div class="actions">
      <button type="submit" class="btn btn-primary" id="maintenance-save" disabled=${busy}>${busy ? "Saving…" : "Create window"}</button>
      <button type="button" class="btn" onClick=${onCancel}>Cancel</button>
    </div>
  </form>`;
}
