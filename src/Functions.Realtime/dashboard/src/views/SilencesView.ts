// Silences (Admin): those in force and the last ended, each with its matchers,
// window, author and comment; Expire ends one now; New silence (or "Silence…"
// on an alert, which fills the matchers in) opens the form with its preview.

import { useState } from "preact/hooks";
import { expireSilence, listSilences, type Page, type Silence } from "../alerting-api";
import { describeError } from "../api";
import { setParams, type Params } from "../router";
import { useAsync } from "../ui/async";
import { formatPerson, formatTime } from "../ui/format";
import { html } from "../ui/html";
import { Async } from "../ui/states";
import { describeMatcher, matchersFromParam, SilenceForm } from "./SilenceForm";

function ExpireButton({ silence, onChanged }: { silence: Silence; onChanged: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (silence.state === "expired") return null;
  const expire = async () => {
    if (!confirm("Expire this silence now? Alerts it mutes notify again from now.")) return;
    setBusy(true);
    setError(null);
    try {
      await expireSilence(silence.id);
      onChanged();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return html`<button type="button" class="btn btn-small silence-expire" disabled=${busy} onClick=${expire}>Expire</button>${error
      ? html`<span class="form-error" role="alert">${error}</span>`
      : null}`;
}

export function SilencesView({ params }: { params: Params }) {
  const creating = params["new"] === "1";
  const silences = useAsync(() => listSilences(), []);

  return html`<div class="view view-silences" id="view-silences">
    <div class="section-head">
      <h1>Silences</h1>
      <button type="button" class="btn btn-primary" id="silence-new" onClick=${() => setParams({ new: "1", matchers: null })}>New silence</button>
    </div>
    <p class="muted">A silenced alert is still evaluated and listed; it notifies nobody and does not escalate. If it still fires when the silence ends, it is notified then.</p>
    <div class=${`split ${creating ? "has-detail" : ""}`}>
      <section class="card" aria-label="Silence list">
        <${Async} state=${silences} isEmpty=${(d: Page<Silence>) => d.items.length === 0} empty="No silences. Create one here or from an alert.">
          ${(d: Page<Silence>) => html`<div class="table-wrap" tabindex="0"><table class="table" id="silences-table">
            <thead><tr><th>State</th><th>Matchers</th><th>Starts</th><th>Ends</th><th>By</th><th>Comment</th><th aria-label="Actions"></th></tr></thead>
            <tbody>
              ${d.items.map(
                (s) => html`<tr key=${s.id} data-silence-id=${s.id} data-state=${s.state}>
                  <td><span class=${`state state-${s.state}`}>${s.state}</span></td>
                  <td class="mono">${s.matchers.map(describeMatcher).join(", ")}${s.expireOnResolve ? html` <span class="chip" title="Ends when its alert resolves">until resolved</span>` : null}</td>
                  <td class="t-time">${formatTime(s.startsAt)}</td>
                  <td class="t-time">${formatTime(s.endsAt)}</td>
                  <td>${formatPerson(s.createdBy)}${s.expiredBy ? html`<br /><span class="muted">expired by ${formatPerson(s.expiredBy)}</span>` : null}</td>
                  <td>${s.comment}</td>
                  <td><${ExpireButton} silence=${s} onChanged=${silences.reload} /></td>
                </tr>`,
              )}
            </tbody>
          </table></div>`}
        <//>
      </section>
      ${creating
        ? html`<${SilenceForm} key=${params["matchers"] ?? ""} initial=${matchersFromParam(params["matchers"])}
            onSaved=${() => {
              silences.reload();
              setParams({ new: null, matchers: null });
            }} onCancel=${() => setParams({ new: null, matchers: null })} />`
        : null}
    </div>
  </div>`;
}
