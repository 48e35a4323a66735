// Members (Admin reads, Owner acts): who belongs to the tenant and with what
// role; an Owner invites (the invitation is shown once, to pass on), changes
// roles and removes members. A change ends the member's sessions and live
// connections at once.

import { useState } from "preact/hooks";
import { changeRole, inviteMember, listMembers, removeMember, type Invitation, type Member } from "../admin-api";
import { useAsync } from "../ui/async";
import { FieldError } from "../ui/field-errors";
import { useFormSubmit } from "../ui/form-submit";
import { formatTime } from "../ui/format";
import { html } from "../ui/html";
import { ActionButton, ShownOnce } from "../ui/ActionButton";
import { allows, useRole } from "../ui/role";
import { Async } from "../ui/states";

const ROLES = ["viewer", "admin", "owner"];

function InviteForm({ onInvited }: { onInvited: (i: Invitation) => void }) {
  const [email, setEmail] = useState("");
  const [role, setRole] = useState("viewer");
  const { busy, errors, failure, submit } = useFormSubmit();
  const save = (e: Event) =>
    submit(e, async () => {
      onInvited(await inviteMember(email.trim(), role));
      setEmail("");
    });
  return html`<form class="card form-inline" id="invite-form" onSubmit=${save} aria-label="Invite a member">
    <label for="invite-email">Email <input id="invite-email" type="email" required maxLength=${254} value=${email} onInput=${(e: Event) => setEmail((e.target as HTMLInputElement).value)} /></label>
    <${FieldError} errors=${errors} field="email" />
    <label for="invite-role">Role <select id="invite-role" value=${role} onChange=${(e: Event) => setRole((e.target as HTMLSelectElement).value)}>
      ${ROLES.map((r) => html`<option value=${r}>${r}</option>`)}</select></label>
    <button type="submit" class="btn btn-primary" id="invite-send" disabled=${busy}>${busy ? "Inviting…" : "Invite"}</button>
    ${failure ? html`<span class="form-error" role="alert">${failure}</span>` : null}
  </form>`;
}

function RoleSelect({ member, onChanged }: { member: Member; onChanged: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const change = async (e: Event) => {
    const role = (e.target as HTMLSelectElement).value;
    setError(null);
    try {
      await changeRole(member.id, role);
      onChanged();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      onChanged();
    }
  };
  return html`<select aria-label=${`Role of ${member.email}`} class="member-role" value=${member.role} onChange=${change}>
    ${ROLES.map((r) => html`<option value=${r}>${r}</option>`)}</select>${error ? html` <span class="form-error" role="alert">${error}</span>` : null}`;
}

export function MembersView() {
  const { role } = useRole();
  const owner = allows(role, "owner");
  const members = useAsync(listMembers, []);
  const [invited, setInvited] = useState<Invitation | null>(null);
  return html`<section id="view-members">
    <div class="section-head"><h1>Members</h1></div>
    ${owner ? html`<${InviteForm} onInvited=${(i: Invitation) => { setInvited(i); members.reload(); }} />` : html`<p class="muted">Only an owner may invite, change roles or remove members.</p>`}
    ${invited ? html`<${ShownOnce} id="invite-created" label=${`Invitation token for ${invited.email} (${invited.role}), valid until ${formatTime(invited.inviteExpiresAt)}`}
      value=${invited.inviteToken} note=${`Pass it on privately; they accept it with POST /api/v1/auth/accept-invite and a password of their own.`} />` : null}
    <section class="card" aria-label="Member list">
      <${Async} state=${members} isEmpty=${(d: { items: Member[] }) => d.items.length === 0} empty="No members.">
        ${(d: { items: Member[] }) => html`<div class="table-wrap" tabindex="0" aria-label="Members table"><table class="table" id="members-table">
          <thead><tr><th>Email</th><th>Role</th><th>Status</th><th>Since</th>${owner ? html`<th aria-label="Actions"></th>` : null}</tr></thead>
          <tbody>${d.items.map((m) => html`<tr key=${m.id} data-member-id=${m.id} data-email=${m.email}>
            <td>${m.email}</td>
            <td>${owner ? html`<${RoleSelect} member=${m} onChanged=${members.reload} />` : m.role}</td>
            <td>${m.status}</td><td class="t-time">${formatTime(m.createdAt)}</td>
            ${owner ? html`<td><${ActionButton} label="Remove" danger=${true} aria=${`Remove ${m.email}`}
              confirm=${`Remove ${m.email}? Their sessions and live dashboards end now.`} run=${() => removeMember(m.id)} done=${members.reload} /></td>` : null}
          </tr>`)}</tbody>
        </table></div>`}
      <//>
    </section>
  </section>`;
}
