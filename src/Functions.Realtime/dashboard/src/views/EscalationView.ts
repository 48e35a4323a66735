// Escalation policies (Admin; the API answers a Viewer 403): each policy with
// its ordered steps (after how long, which channels by name, which members by
// e-mail), its repeat count and acknowledgement timeout; create, edit, delete.

import { useState } from "preact/hooks";
import {
  deleteEscalationPolicy,
  listChannels,
  listEscalationPolicies,
  listMembers,
  type Channel,
  type EscalationPolicy,
  type Member,
  type Page,
} from "../alerting-api";
import { describeError } from "../api";
import { setParams, type Params } from "../router";
import { useAsync } from "../ui/async";
import { html } from "../ui/html";
import { useRole } from "../ui/role";
import { Async, ErrorState } from "../ui/states";
import { EscalationForm } from "./EscalationForm";

/** Names for ids; an id the list does not know (since deleted, or not readable) is shown shortened. */
const nameOf = (names: Map<string, string>, id: string) => names.get(id) ?? `${id.slice(0, 8)}…`;

function StepList({ policy, channels, members }: { policy: EscalationPolicy; channels: Map<string, string>; members: Map<string, string> }) {
  return html`<ol class="plain-list step-list">
    ${policy.steps.map((s, i) => {
      const targets = [
        ...(s.channelIds ?? []).map((c) => `channel ${nameOf(channels, c)}`),
        ...(s.userIds ?? []).map((u) => nameOf(members, u)),
      ];
      return html`<li data-step=${i}><span class="step-delay-text">after ${s.delay}</span>: ${targets.join(", ")}</li>`;
    })}
  </ol>`;
}

function DeleteButton({ policy, onDeleted }: { policy: EscalationPolicy; onDeleted: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const remove = async () => {
    if (!confirm(`Delete the escalation policy "${policy.name}"?`)) return;
    setBusy(true);
    setError(null);
    try {
      await deleteEscalationPolicy(policy.id);
      onDeleted();
    } catch (err) {
      setError(describeError(err)); // 409 while a rule still names it
    } finally {
      setBusy(false);
    }
  };
  return html`<button type="button" class="btn btn-small escalation-delete" aria-label=${`Delete ${policy.name}`} disabled=${busy} onClick=${remove}>Delete</button>${error
      ? html` <span class="form-error" role="alert">${error}</span>`
      : null}`;
}

interface Lookups {
  channels: Channel[];
  members: Member[];
}

export function EscalationView({ params }: { params: Params }) {
  const { isAdmin } = useRole();
  const selected = params["id"] ?? "";
  const policies = useAsync(() => listEscalationPolicies(), []);
  // Channels and members by name for the list and the form; one failing leaves ids shown.
  const lookups = useAsync<Lookups>(async () => {
    if (!isAdmin) return { channels: [], members: [] };
    const [c, m] = await Promise.all([listChannels().catch(() => ({ items: [] as Channel[] })), listMembers().catch(() => ({ items: [] as Member[] }))]);
    return { channels: c.items, members: m.items };
  }, [isAdmin]);
  const channelNames = new Map((lookups.data?.channels ?? []).map((c) => [c.id, c.name]));
  const memberNames = new Map((lookups.data?.members ?? []).map((m) => [m.id, m.email]));
  const editing = selected && selected !== "new" ? policies.data?.items.find((p) => p.id === selected) : undefined;

  const closed = () => setParams({ id: null });
  const saved = () => {
    policies.reload();
    setParams({ id: null });
  };

  return html`<div class="view view-escalation" id="view-escalation">
    <div class="section-head">
      <h1>Escalation policies</h1>
      ${isAdmin ? html`<button type="button" class="btn btn-primary" id="escalation-new" onClick=${() => setParams({ id: "new" })}>New policy</button>` : null}
    </div>
    <p class="muted">A rule that names a policy keeps notifying, step by step, until its alert is acknowledged or resolved.</p>
    <div class=${`split ${selected && isAdmin ? "has-detail" : ""}`}>
      <section class="card" aria-label="Escalation policy list">
        <${Async} state=${policies} isEmpty=${(d: Page<EscalationPolicy>) => d.items.length === 0}
          empty=${isAdmin ? "No escalation policies. Create one with New policy." : "No escalation policies."}>
          ${(d: Page<EscalationPolicy>) => html`<div class="table-wrap" tabindex="0"><table class="table" id="escalation-table">
            <thead><tr><th>Name</th><th>Steps</th><th class="t-num">Repeat</th><th>Ack timeout</th>${isAdmin ? html`<th><span class="sr-only">Actions</span></th>` : null}</tr></thead>
            <tbody>
              ${d.items.map(
                (p) => html`<tr key=${p.id} data-policy-id=${p.id} class=${p.id === selected ? "selected" : ""}>
                  <td class="policy-name">${p.name}</td>
                  <td><${StepList} policy=${p} channels=${channelNames} members=${memberNames} /></td>
                  <td class="t-num policy-repeat">${p.repeat}</td>
                  <td class="policy-ack-timeout">${p.ackTimeout ?? "none"}</td>
                  ${isAdmin
                    ? html`<td class="row-actions">
                        <button type="button" class="btn btn-small escalation-edit" aria-label=${`Edit ${p.name}`} onClick=${() => setParams({ id: p.id })}>Edit</button>
                        <${DeleteButton} policy=${p} onDeleted=${() => {
                          if (selected === p.id) closed();
                          policies.reload();
                        }} />
                      </td>`
                    : null}
                </tr>`,
              )}
            </tbody>
          </table></div>`}
        <//>
      </section>
      ${isAdmin && (selected === "new" || editing)
        ? lookups.data === undefined
          ? lookups.error !== undefined
            ? html`<${ErrorState} error=${lookups.error} retry=${lookups.reload} />`
            : null
          : html`<${EscalationForm} key=${selected} policy=${editing ?? null} channels=${lookups.data.channels} members=${lookups.data.members}
              onSaved=${saved} onCancel=${closed} />`
        : null}
    </div>
  </div>`;
}
