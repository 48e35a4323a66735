// A new or changed escalation policy: its name, its ordered steps (after how
// long unacknowledged, which channels and which members), how many times the
// whole policy repeats and the acknowledgement timeout. The API's errors are
// shown next to their field, a step's on its step.

import { useState } from "preact/hooks";
import {
  createEscalationPolicy,
  updateEscalationPolicy,
  type Channel,
  type EscalationPolicy,
  type EscalationPolicyBody,
  type EscalationStep,
  type Member,
} from "../alerting-api";
import { FieldError, OtherErrors } from "../ui/field-errors";
import { useFormSubmit } from "../ui/form-submit";
import { html } from "../ui/html";

/** The API's bounds (docs/API.md, "Escalation policies"). */
export const MAX_STEPS = 10;
export const MAX_REPEAT = 10;

const blankStep = (): EscalationStep => ({ delay: "5m", channelIds: [], userIds: [] });

/** The error fields the form shows next to an input, so the rest are listed below it. */
const shownFields = (steps: EscalationStep[]): string[] => [
  "name", "repeat", "ackTimeout", "steps",
  ...steps.flatMap((_, i) => [`steps[${i}]`, `steps[${i}].delay`, `steps[${i}].channelIds`, `steps[${i}].userIds`]),
];

/** One checkbox per choice, in a fieldset whose legend names the group. */
function Choices({ legend, cls, items, chosen, onToggle, empty }: {
  legend: string;
  cls: string;
  items: { id: string; label: string; note?: string }[];
  chosen: string[];
  onToggle: (id: string) => void;
  empty: string;
}) {
  return html`<fieldset class=${`choices ${cls}`}>
    <legend>${legend}</legend>
    ${items.length === 0
      ? html`<span class="muted">${empty}</span>`
      : html`<div class="checks">${items.map(
          (it) => html`<label class="checkbox"><input type="checkbox" value=${it.id} checked=${chosen.includes(it.id)} onChange=${() => onToggle(it.id)} />
            ${it.label}${it.note ? html` <span class="muted">${it.note}</span>` : null}</label>`,
        )}</div>`}
  </fieldset>`;
}

export function EscalationForm({ policy, channels, members, onSaved, onCancel }: {
  policy: EscalationPolicy | null;
  channels: Channel[];
  members: Member[];
  onSaved: (p: EscalationPolicy) => void;
  onCancel: () => void;
}) {
  const [name, setName] = useState(policy?.name ?? "");
  const [steps, setSteps] = useState<EscalationStep[]>(
    policy?.steps.length ? policy.steps.map((s) => ({ delay: s.delay, channelIds: [...(s.channelIds ?? [])], userIds: [...(s.userIds ?? [])] })) : [blankStep()],
  );
  const [repeat, setRepeat] = useState(String(policy?.repeat ?? 0));
  const [ackTimeout, setAckTimeout] = useState(policy?.ackTimeout ?? "");
  const { busy, errors, failure, submit } = useFormSubmit(true);

  const change = (i: number, patch: Partial<EscalationStep>) => setSteps((all) => all.map((s, j) => (j === i ? { ...s, ...patch } : s)));
  const toggle = (i: number, key: "channelIds" | "userIds", value: string) =>
    setSteps((all) => all.map((s, j) => (j !== i ? s : { ...s, [key]: s[key].includes(value) ? s[key].filter((v) => v !== value) : [...s[key], value] })));
  const move = (i: number, by: number) =>
    setSteps((all) => {
      const next = [...all];
      const [step] = next.splice(i, 1);
      next.splice(i + by, 0, step!);
      return next;
    });

  const save = (e: Event) =>
    submit(e, async () => {
      const n = repeat.trim() === "" ? 0 : Number(repeat);
      const body: EscalationPolicyBody = {
        name: name.trim(),
        steps: steps.map((s) => ({ delay: s.delay.trim(), channelIds: s.channelIds, userIds: s.userIds })),
        // A number the browser cannot read is sent as typed, for the API to name.
        repeat: Number.isFinite(n) ? n : (repeat as unknown as number),
        ackTimeout: ackTimeout.trim() === "" ? null : ackTimeout.trim(),
      };
      onSaved(policy ? await updateEscalationPolicy(policy.id, body) : await createEscalationPolicy(body));
    });

  const channelItems = channels.map((c) => ({ id: c.id, label: c.name, note: c.type }));
  const memberItems = members.map((m) => ({ id: m.id, label: m.email, note: m.role }));
  const title = policy ? "Edit escalation policy" : "New escalation policy";

  return html`<form class="card detail form" id="escalation-form" aria-label=${title} novalidate onSubmit=${save} data-policy-id=${policy?.id ?? ""}>
    <div class="card-head"><h2>${title}</h2></div>
    <label class="field">name
      <input id="escalation-name" value=${name} maxLength=${100} required aria-invalid=${errors["name"] ? "true" : "false"}
        onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} />
      <${FieldError} errors=${errors} field="name" />
    </label>
    <ol class="escalation-steps" id="escalation-steps" aria-label="Steps, in order">
      ${steps.map(
        (s, i) => html`<li class="escalation-step" data-step=${i} key=${i}>
          <fieldset>
            <legend>Step ${i + 1}</legend>
            <label class="field">${i === 0 ? "after the alert fired, unacknowledged for (1m to 24h)" : "then, still unacknowledged, after (1m to 24h)"}
              <input class="step-delay" value=${s.delay} placeholder="5m" aria-invalid=${errors[`steps[${i}].delay`] ? "true" : "false"}
                onInput=${(e: Event) => change(i, { delay: (e.target as HTMLInputElement).value })} />
              <${FieldError} errors=${errors} field=${`steps[${i}].delay`} />
            </label>
            <${Choices} legend="notify these channels" cls="step-channels" items=${channelItems} chosen=${s.channelIds}
              onToggle=${(id: string) => toggle(i, "channelIds", id)} empty="No channels yet." />
            <${FieldError} errors=${errors} field=${`steps[${i}].channelIds`} />
            <${Choices} legend="and e-mail these members" cls="step-members" items=${memberItems} chosen=${s.userIds}
              onToggle=${(id: string) => toggle(i, "userIds", id)} empty="No members." />
            <${FieldError} errors=${errors} field=${`steps[${i}].userIds`} />
            <${FieldError} errors=${errors} field=${`steps[${i}]`} />
            <div class="actions">
              ${i > 0 ? html`<button type="button" class="btn btn-small step-up" aria-label=${`Move step ${i + 1} up`} onClick=${() => move(i, -1)}>Move up</button>` : null}
              ${i < steps.length - 1 ? html`<button type="button" class="btn btn-small step-down" aria-label=${`Move step ${i + 1} down`} onClick=${() => move(i, 1)}>Move down</button>` : null}
              ${steps.length > 1
                ? html`<button type="button" class="btn btn-small step-remove" aria-label=${`Remove step ${i + 1}`} onClick=${() => setSteps((all) => all.filter((_, j) => j !== i))}>Remove</button>`
                : null}
            </div>
          </fieldset>
        </li>`,
      )}
    </ol>
    ${steps.length < MAX_STEPS
      ? html`<div><button type="button" class="btn btn-small" id="escalation-add-step" onClick=${() => setSteps((all) => [...all, blankStep()])}>Add step</button></div>`
      : null}
    <${FieldError} errors=${errors} field="steps" />
    <div class="form-row">
      <label class="field">repeat the whole policy (0 to ${MAX_REPEAT} times)
        <input id="escalation-repeat" type="number" min="0" max=${MAX_REPEAT} step="1" value=${repeat} aria-invalid=${errors["repeat"] ? "true" : "false"}
          onInput=${(e: Event) => setRepeat((e.target as HTMLInputElement).value)} />
        <${FieldError} errors=${errors} field="repeat" />
      </label>
      <label class="field">acknowledgement timeout (1m to 7d; empty: none)
        <input id="escalation-ack-timeout" value=${ackTimeout} placeholder="none" aria-invalid=${errors["ackTimeout"] ? "true" : "false"}
          onInput=${(e: Event) => setAckTimeout((e.target as HTMLInputElement).value)} />
        <${FieldError} errors=${errors} field="ackTimeout" />
      </label>
    </div>
    <p class="muted">An acknowledgement or a resolve stops the policy. With a timeout, an acknowledged alert not resolved within it fires again and the policy starts over.</p>
    <${OtherErrors} errors=${errors} shown=${shownFields(steps)} />
    ${failure ? html`<p class="form-error" role="alert">${failure}</p>` : null}
    <div class="actions">
      <button type="submit" class="btn btn-primary" id="escalation-save" disabled=${busy}>${busy ? "Saving…" : policy ? "Save" : "Create policy"}</button>
      <button type="button" class="btn" id="escalation-cancel" onClick=${onCancel}>Cancel</button>
    </div>
  </form>`;
}
