// Maintenance windows: every window with its recurrence, zone and the
// occurrence now or next, in the viewer's time zone; a selected window lists
// its coming occurrences (in the viewer's zone and its own). Admins create
// and delete; Viewers read.

import { useState } from "preact/hooks";
import { deleteMaintenanceWindow, listMaintenanceWindows, listOccurrences, type MaintenanceWindow, type Occurrence, type Page } from "../alerting-api";
import { describeError } from "../api";
import { setParams, type Params } from "../router";
import { useAsync } from "../ui/async";
import { formatTime } from "../ui/format";
import { html } from "../ui/html";
import { useRole } from "../ui/role";
import { Async } from "../ui/states";
import { timeZoneLabel } from "../ui/timezone";
import { MaintenanceForm } from "./MaintenanceForm";
import { describeMatcher } from "./SilenceForm";

/** An instant as the window's own zone reads it ("2027-01-03 02:00"). */
export function inZone(ts: string, zone: string): string {
  try {
    const parts = new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .formatToParts(new Date(ts));
    const p = (t: string) => parts.find((x) => x.type === t)?.value ?? "";
    return `${p("year")}-${p("month")}-${p("day")} ${p("hour")}:${p("minute")}`;
  } catch {
    return ts;
  }
}

function OccurrenceText({ o }: { o: Occurrence | null }) {
  return o ? html`<span>${formatTime(o.start)} – ${formatTime(o.end)}</span>` : html`<span class="muted">none</span>`;
}

function WindowDetail({ window, onChanged }: { window: MaintenanceWindow; onChanged: () => void }) {
  const { isAdmin } = useRole();
  const [error, setError] = useState<string | null>(null);
  const occurrences = useAsync(() => {
    const from = new Date();
    return listOccurrences(window.id, from.toISOString(), new Date(from.getTime() + 90 * 86_400_000).toISOString());
  }, [window.id, window.updatedAt]);
  const remove = async () => {
    if (!confirm(`Delete the maintenance window "${window.name}"?`)) return;
    try {
      await deleteMaintenanceWindow(window.id);
      setParams({ id: null });
      onChanged();
    } catch (err) {
      setError(describeError(err));
    }
  };
  return html`<section class="card detail" id="maintenance-detail" data-window-id=${window.id} aria-label="Maintenance window">
    <div class="card-head">
      <h2>${window.name}</h2>
      <button type="button" class="btn btn-small" onClick=${() => setParams({ id: null })}>Close</button>
    </div>
    <dl class="facts">
      <dt>Recurs</dt><dd class="mono">${window.rrule}</dd>
      <dt>First start</dt><dd>${window.start.replace("T", " ")} ${window.timeZone}</dd>
      <dt>Lasts</dt><dd>${window.duration}</dd>
      <dt>Mutes</dt><dd class="mono">${window.matchers.map(describeMatcher).join(", ")}</dd>
      ${window.exceptions.length ? html`<dt>Except</dt><dd>${window.exceptions.map((x) => x.replace("T", " ")).join(", ")}</dd>` : null}
    </dl>
    <h3>Next 90 days</h3>
    <${Async} state=${occurrences} isEmpty=${(d: { items: Occurrence[] }) => d.items.length === 0} empty="No occurrence in the next 90 days.">
      ${(d: { items: Occurrence[] }) => html`<div class="table-wrap" tabindex="0"><table class="table" id="maintenance-occurrences">
        <caption class="muted">Times in your time zone (${timeZoneLabel()}) and in the window's (${window.timeZone})</caption>
        <thead><tr><th>Starts (yours)</th><th>Ends (yours)</th><th>Starts (${window.timeZone})</th></tr></thead>
        <tbody>
          ${d.items.slice(0, 20).map(
            (o) => html`<tr data-start=${o.start}><td class="t-time">${formatTime(o.start)}</td><td class="t-time">${formatTime(o.end)}</td>
              <td class="t-time window-local">${inZone(o.start, window.timeZone)}</td></tr>`,
          )}
        </tbody>
      </table></div>`}
    <//>
    ${isAdmin ? html`<div class="actions"><button type="button" class="btn" id="maintenance-delete" onClick=${remove}>Delete</button></div>` : null}
    ${error ? html`<p class="form-error" role="alert">${error}</p>` : null}
  </section>`;
}

export function MaintenanceView({ params }: { params: Params }) {
  const { isAdmin } = useRole();
  const selected = params["id"] ?? "";
  const windows = useAsync(() => listMaintenanceWindows(), []);
  const chosen = windows.data?.items.find((w) => w.id === selected);

  return html`<div class="view view-maintenance" id="view-maintenance">
    <div class="section-head">
      <h1>Maintenance windows</h1>
      ${isAdmin ? html`<button type="button" class="btn btn-primary" id="maintenance-new" onClick=${() => setParams({ id: "new" })}>New window</button>` : null}
    </div>
    <p class="muted">During each occurrence, the alerts a window matches are evaluated and listed but notify nobody and do not escalate. Times are in your time zone (${timeZoneLabel()}).</p>
    <div class=${`split ${selected ? "has-detail" : ""}`}>
      <section class="card" aria-label="Maintenance window list">
        <${Async} state=${windows} isEmpty=${(d: Page<MaintenanceWindow>) => d.items.length === 0}
          empty=${isAdmin ? "No maintenance windows. Create one with New window." : "No maintenance windows."}>
          ${(d: Page<MaintenanceWindow>) => html`<div class="table-wrap" tabindex="0"><table class="table" id="maintenance-table">
            <thead><tr><th>Name</th><th>Recurs</th><th>Zone</th><th>Lasts</th><th>Now or next</th></tr></thead>
            <tbody>
              ${d.items.map(
                (w) => html`<tr key=${w.id} data-window-id=${w.id} data-active=${String(w.currentOccurrence != null)}
                    class=${`clickable ${w.id === selected ? "selected" : ""}`} onClick=${() => setParams({ id: w.id })}>
                  <td><a href=${`#/maintenance?id=${encodeURIComponent(w.id)}`} onClick=${(e: Event) => e.stopPropagation()}>${w.name}</a></td>
                  <td class="mono">${w.rrule}</td>
                  <td>${w.timeZone}</td>
                  <td>${w.duration}</td>
                  <td class="t-time">${w.currentOccurrence ? html`<strong>in progress</strong> until ${formatTime(w.currentOccurrence.end)}` : html`<${OccurrenceText} o=${w.nextOccurrence} />`}</td>
                </tr>`,
              )}
            </tbody>
          </table></div>`}
        <//>
      </section>
      ${selected === "new" && isAdmin
        ? html`<${MaintenanceForm} onSaved=${(w: MaintenanceWindow) => {
            windows.reload();
            setParams({ id: w.id }, true);
          }} onCancel=${() => setParams({ id: null })} />`
        : chosen
          ? html`<${WindowDetail} key=${chosen.id} window=${chosen} onChanged=${windows.reload} />`
          : null}
    </div>
  </div>`;
}
