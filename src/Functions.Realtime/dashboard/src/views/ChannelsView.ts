// Channels (Admin): the list with health, test-send, edit and delete, the
// create/edit form for each type, and the selected channel's recent deliveries.

import { useState } from "preact/hooks";
import {
  deleteChannel,
  healthOf,
  listChannels,
  listDeliveries,
  rotateChannelSecret,
  testChannel,
  type Channel,
  type Page,
} from "../alerting-api";
import { describeError } from "../api";
import { formatInt } from "../format";
import { setParams, type Params } from "../router";
import { useAsync } from "../ui/async";
import { formatTime } from "../ui/format";
import { html } from "../ui/html";
import { useRole } from "../ui/role";
import { Async, Empty, ErrorState } from "../ui/states";
import { DeliveriesTable } from "./AlertDetail";
import { ChannelForm } from "./ChannelForm";

/** Where a channel sends, as the API shows it (secret parts already masked by the API). */
export function channelTarget(c: Channel): string {
  if (c.type === "email") return (c.recipients ?? []).join(", ") || "—";
  if (c.type === "pagerduty") return c.routingKey ?? "—";
  return c.url ?? "—";
}

function HealthCell({ channel }: { channel: Channel }) {
  const h = healthOf(channel);
  if (h.disabledAt)
    return html`<span class="health health-disabled" data-health="disabled" title=${h.disabledReason ?? ""}>disabled ${formatTime(h.disabledAt)}</span>`;
  if ((h.consecutiveFailures ?? 0) > 0)
    return html`<span class="health health-failing" data-health="failing">failing since ${formatTime(h.failingSince)} (${formatInt(h.consecutiveFailures ?? 0)} failures)</span>`;
  if (h.lastSuccessAt) return html`<span class="health health-ok" data-health="ok">ok · last ${formatTime(h.lastSuccessAt)}</span>`;
  return html`<span class="health muted" data-health="unknown">no deliveries yet</span>`;
}

/** A secret the API shows once (at creation or rotation). */
export function SecretOnce({ secret, onDone }: { secret: string; onDone: () => void }) {
  return html`<div class="secret-once" id="channel-secret" role="status">
    <p>The signing secret, shown this once: store it with the receiver now.</p>
    <code class="mono" id="channel-secret-value">${secret}</code>
    <button type="button" class="btn btn-small" onClick=${onDone}>Done</button>
  </div>`;
}

function TestButton({ channel }: { channel: Channel }) {
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (e: Event) => {
    e.stopPropagation();
    setBusy(true);
    setResult(null);
    try {
      const outcome = await testChannel(channel.id);
      setResult(describeOutcome(outcome));
    } catch (err) {
      setResult({ ok: false, text: describeError(err) });
    } finally {
      setBusy(false);
    }
  };
  return html`<button type="button" class="btn btn-small channel-test" disabled=${busy} onClick=${run}>${busy ? "Sending…" : "Test"}</button>
    ${result ? html`<span class=${`channel-test-result ${result.ok ? "ok-note" : "form-error"}`} data-ok=${String(result.ok)} role="status">${result.text}</span>` : null}`;
}

/** The test-send outcome in words, whatever fields the API answers with. */
function describeOutcome(o: Record<string, unknown> | undefined): { ok: boolean; text: string } {
  if (!o) return { ok: true, text: "sent" };
  const state = String(o["outcome"] ?? o["state"] ?? o["result"] ?? "");
  const ok = typeof o["delivered"] === "boolean" ? (o["delivered"] as boolean) : typeof o["ok"] === "boolean" ? (o["ok"] as boolean) : /deliver|success|sent|ok/i.test(state);
  const parts = [state || (ok ? "delivered" : "failed")];
  if (o["statusCode"] != null) parts.push(`HTTP ${String(o["statusCode"])}`);
  if (o["latencyMs"] != null) parts.push(`${String(o["latencyMs"])} ms`);
  if (o["error"]) parts.push(String(o["error"]));
  return { ok, text: parts.join(" · ") };
}

function ChannelDetail({ channel, onChanged }: { channel: Channel; onChanged: () => void }) {
  const deliveries = useAsync(() => listDeliveries({ channelId: channel.id }), [channel.id]);
  const [editing, setEditing] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const rotate = async () => {
    if (!confirm("Rotate the signing secret? The old one keeps signing for 24 hours.")) return;
    try {
      const c = await rotateChannelSecret(channel.id);
      setSecret(c?.secret ?? null);
    } catch (err) {
      setError(describeError(err));
    }
  };
  const remove = async () => {
    if (!confirm(`Delete the channel "${channel.name}"?`)) return;
    try {
      await deleteChannel(channel.id);
      setParams({ id: null });
      onChanged();
    } catch (err) {
      setError(describeError(err));
    }
  };

  return html`<section class="card detail" id="channel-detail" data-channel-id=${channel.id} aria-label="Channel">
    <div class="card-head">
      <h2>${channel.name}</h2>
      <button type="button" class="btn btn-small" onClick=${() => setParams({ id: null })}>Close</button>
    </div>
    ${editing
      ? html`<${ChannelForm} channel=${channel} onSaved=${() => {
          setEditing(false);
          onChanged();
        }} onCancel=${() => setEditing(false)} />`
      : html`<div>
          <dl class="facts">
            <dt>Type</dt><dd>${channel.type}</dd>
            <dt>Target</dt><dd class="mono">${channelTarget(channel)}</dd>
            <dt>Health</dt><dd><${HealthCell} channel=${channel} /></dd>
            ${healthOf(channel).disabledReason ? html`<dt>Disabled because</dt><dd>${healthOf(channel).disabledReason}</dd>` : null}
          </dl>
          <div class="actions">
            <${TestButton} channel=${channel} />
            <button type="button" class="btn btn-small" id="channel-edit" onClick=${() => setEditing(true)}>Edit</button>
            ${channel.type === "webhook" ? html`<button type="button" class="btn btn-small" id="channel-rotate" onClick=${rotate}>Rotate secret</button>` : null}
            <button type="button" class="btn btn-small btn-danger" id="channel-delete" onClick=${remove}>Delete</button>
          </div>
          ${secret ? html`<${SecretOnce} secret=${secret} onDone=${() => setSecret(null)} />` : null}
          ${error ? html`<p class="form-error" role="alert">${error}</p>` : null}
        </div>`}
    <h3>Recent deliveries</h3>
    ${deliveries.error !== undefined && deliveries.data === undefined
      ? html`<${ErrorState} error=${deliveries.error} retry=${deliveries.reload} />`
      : html`<${DeliveriesTable} id="channel-deliveries" deliveries=${deliveries.data?.items ?? []} />`}
  </section>`;
}

export function ChannelsView({ params }: { params: Params }) {
  const { isAdmin } = useRole();
  const selected = params["id"] ?? "";
  const channels = useAsync(() => (isAdmin ? listChannels() : Promise.resolve({ items: [] as Channel[] })), [isAdmin]);
  const [secret, setSecret] = useState<string | null>(null);

  if (!isAdmin) {
    return html`<div class="view" id="view-channels"><div class="section-head"><h1>Channels</h1></div>
      <${Empty}>Channels are managed by Admins and Owners.<//></div>`;
  }
  const current = channels.data?.items.find((c) => c.id === selected);
  return html`<div class="view view-channels" id="view-channels">
    <div class="section-head">
      <h1>Channels</h1>
      <button type="button" class="btn btn-primary" id="channel-new" onClick=${() => setParams({ id: "new" })}>New channel</button>
    </div>
    ${secret ? html`<${SecretOnce} secret=${secret} onDone=${() => setSecret(null)} />` : null}
    <div class=${`split ${selected ? "has-detail" : ""}`}>
      <section class="card" aria-label="Channel list">
        <${Async} state=${channels} isEmpty=${(d: Page<Channel>) => d.items.length === 0} empty="No channels yet. Create one with New channel.">
          ${(d: Page<Channel>) => html`<div class="table-wrap" tabindex="0"><table class="table" id="channels-table">
            <thead><tr><th>Name</th><th>Type</th><th>Target</th><th>Health</th><th></th></tr></thead>
            <tbody>
              ${d.items.map(
                (c) => html`<tr key=${c.id} data-channel-id=${c.id} data-type=${c.type} class=${`clickable ${c.id === selected ? "selected" : ""}`}
                    onClick=${() => setParams({ id: c.id })}>
                  <td class="channel-name">${c.name}</td>
                  <td>${c.type}</td>
                  <td class="mono t-route">${channelTarget(c)}</td>
                  <td><${HealthCell} channel=${c} /></td>
                  <td class="actions-cell"><${TestButton} channel=${c} /></td>
                </tr>`,
              )}
            </tbody>
          </table></div>`}
        <//>
      </section>
      ${selected === "new"
        ? html`<section class="card detail" id="channel-create" aria-label="New channel">
            <div class="card-head"><h2>New channel</h2>
              <button type="button" class="btn btn-small" onClick=${() => setParams({ id: null })}>Close</button></div>
            <${ChannelForm} type=${params["type"]} onSaved=${(c: Channel) => {
              if (c.secret) setSecret(c.secret);
              channels.reload();
              setParams({ id: c.id, type: null }, true);
            }} onCancel=${() => setParams({ id: null, type: null })} />
          </section>`
        : current
          ? html`<${ChannelDetail} key=${current.id} channel=${current} onChanged=${channels.reload} />`
          : selected && channels.data
            ? html`<section class="card detail"><${Empty}>No such channel.<//></section>`
            : null}
    </div>
  </div>`;
}
