// API keys (Admin): the tenant's ingest keys, active and revoked; a new key
// is shown once with a copy button; revoking one stops it at the edge within
// its cache time.

import { useState } from "preact/hooks";
import { createApiKey, listApiKeys, revokeApiKey, type ApiKey, type CreatedApiKey } from "../admin-api";
import { useAsync } from "../ui/async";
import { FieldError } from "../ui/field-errors";
import { useFormSubmit } from "../ui/form-submit";
import { formatTime } from "../ui/format";
import { html } from "../ui/html";
import { ActionButton, ShownOnce } from "../ui/ActionButton";
import { Async } from "../ui/states";

function NewKeyForm({ onCreated }: { onCreated: (k: CreatedApiKey) => void }) {
  const [name, setName] = useState("");
  const [environments, setEnvironments] = useState("");
  const { busy, errors, failure, submit } = useFormSubmit();
  const save = (e: Event) =>
    submit(e, async () => {
      const envs = environments.split(",").map((s) => s.trim()).filter(Boolean);
      const key = await createApiKey(name.trim(), envs.length ? envs : null);
      setName("");
      setEnvironments("");
      onCreated(key);
    });
  return html`<form class="card form-inline" id="key-form" onSubmit=${save} aria-label="New API key">
    <label for="key-name">Name <input id="key-name" required maxLength=${100} value=${name} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} /></label>
    <${FieldError} errors=${errors} field="name" />
    <label for="key-environments">Environments <input id="key-environments" placeholder="all (or e.g. production, staging)" value=${environments}
      onInput=${(e: Event) => setEnvironments((e.target as HTMLInputElement).value)} /></label>
    <${FieldError} errors=${errors} field="environments" />
    <button type="submit" class="btn btn-primary" id="key-create" disabled=${busy}>${busy ? "Creating…" : "Create key"}</button>
    ${failure ? html`<span class="form-error" role="alert">${failure}</span>` : null}
  </form>`;
}

export function ApiKeysView() {
  const keys = useAsync(listApiKeys, []);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  return html`<section id="view-keys">
    <div class="section-head"><h1>API keys</h1></div>
    <p class="muted">Services send events with a key in the <span class="mono">X-Api-Key</span> header. A key is shown once, when it is made; keep it in your secret store.</p>
    <${NewKeyForm} onCreated=${(k: CreatedApiKey) => { setCreated(k); keys.reload(); }} />
    ${created ? html`<${ShownOnce} id="key-created" label=${`The new key "${created.name}"`} value=${created.key}
      note="Copy it now: PulseStream keeps only its hash and cannot show it again." />` : null}
    <section class="card" aria-label="Keys">
      <${Async} state=${keys} isEmpty=${(d: { items: ApiKey[] }) => d.items.length === 0} empty="No keys yet.">
        ${(d: { items: ApiKey[] }) => html`<div class="table-wrap" tabindex="0" aria-label="Keys table"><table class="table" id="keys-table">
          <thead><tr><th>Name</th><th>Prefix</th><th>Environments</th><th>Created</th><th>Last used</th><th>State</th><th aria-label="Actions"></th></tr></thead>
          <tbody>${d.items.map((k) => html`<tr key=${k.id} data-key-id=${k.id} data-state=${k.revokedAt ? "revoked" : "active"}>
            <td>${k.name}</td><td class="mono">${k.prefix}…</td><td>${k.environments?.join(", ") ?? "all"}</td>
            <td class="t-time">${formatTime(k.createdAt)}</td><td class="t-time">${k.lastUsedAt ? formatTime(k.lastUsedAt) : "never"}</td>
            <td>${k.revokedAt ? html`<span class="state state-dead">revoked ${formatTime(k.revokedAt)}</span>` : html`<span class="state state-ok">active</span>`}</td>
            <td>${k.revokedAt ? null : html`<${ActionButton} label="Revoke" danger=${true} aria=${`Revoke ${k.name}`}
              confirm=${`Revoke "${k.name}"? Services using it are refused from now on.`} run=${() => revokeApiKey(k.id)} done=${keys.reload} />`}</td>
          </tr>`)}</tbody>
        </table></div>`}
      <//>
    </section>
  </section>`;
}
