// Audit log (Admin): every change by a person or a key, newest first,
// filtered by actor and action (in the URL), older pages on demand.

import { useState } from "preact/hooks";
import { listAudit, type AuditEntry } from "../admin-api";
import { setParams, type Params } from "../router";
import { useAsync } from "../ui/async";
import { formatTime } from "../ui/format";
import { html } from "../ui/html";
import { Async } from "../ui/states";

function summaryText(s: unknown): string {
  if (s == null) return "";
  const text = JSON.stringify(s);
  return text === "{}" ? "" : text;
}

export function AuditView({ params }: { params: Params }) {
  const actor = params["actor"] ?? "";
  const action = params["action"] ?? "";
  const first = useAsync(() => listAudit({ actor: actor || undefined, action: action || undefined }), [actor, action]);
  const [older, setOlder] = useState<{ for: unknown; items: AuditEntry[]; next: number | null } | null>(null);
  const [busy, setBusy] = useState(false);
  const more = older?.for === first.data ? older : null;
  const items = [...(first.data?.items ?? []), ...(more?.items ?? [])];
  const next = more ? more.next : first.data?.next ?? null;
  const loadOlder = async () => {
    if (next == null) return;
    setBusy(true);
    try {
      const page = await listAudit({ actor: actor || undefined, action: action || undefined, before: String(next) });
      setOlder({ for: first.data, items: [...(more?.items ?? []), ...page.items], next: page.next });
    } finally {
      setBusy(false);
    }
  };
  const set = (k: string) => (e: Event) => setParams({ [k]: (e.target as HTMLInputElement).value.trim() }, true);
  return html`<section id="view-audit">
    <div class="section-head"><h1>Audit log</h1></div>
    <form class="card form-inline" id="audit-filters" onSubmit=${(e: Event) => e.preventDefault()}>
      <label for="audit-action">Action <input id="audit-action" placeholder="api_key.create" maxLength=${64} value=${action} onChange=${set("action")} /></label>
      <label for="audit-actor">Actor id <input id="audit-actor" maxLength=${64} value=${actor} onChange=${set("actor")} /></label>
    </form>
    <section class="card" aria-label="Audit entries">
      <${Async} state=${first} isEmpty=${(d: { items: AuditEntry[] }) => d.items.length === 0} empty="No entries match.">
        ${() => html`<div class="table-wrap" tabindex="0" aria-label="Audit table"><table class="table" id="audit-table">
          <thead><tr><th>Time</th><th>Actor</th><th>Action</th><th>Target</th><th>Details</th><th>From</th></tr></thead>
          <tbody>${items.map((e) => html`<tr key=${e.id} data-action=${e.action}>
            <td class="t-time">${formatTime(e.at)}</td>
            <td><span class="muted">${e.actorType}</span> <a href=${`#/audit?actor=${encodeURIComponent(e.actorId ?? "")}`} class="mono">${e.actorId ?? ""}</a></td>
            <td><a href=${`#/audit?action=${encodeURIComponent(e.action)}`} class="mono">${e.action}</a></td>
            <td class="mono">${e.targetType ?? ""} ${e.targetId ?? ""}</td>
            <td class="mono audit-summary">${summaryText(e.summary)}</td>
            <td class="mono">${e.clientAddress ?? ""}</td>
          </tr>`)}</tbody>
        </table></div>
        <p class="muted table-foot">${items.length} shown${next == null ? " (all)" : ""}
          ${next != null ? html` <button type="button" class="btn btn-small" id="audit-older" disabled=${busy} onClick=${loadOlder}>${busy ? "Loading…" : "Older entries"}</button>` : null}</p>`}
      <//>
    </section>
  </section>`;
}
