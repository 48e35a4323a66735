// The channel form: the fields of the chosen type (CONTRACT.md "Extensions":
// url for webhook, slack and teams; routingKey for pagerduty; up to 20
// recipients for email) and the API's errors by field.

import { useState } from "preact/hooks";
import { CHANNEL_TYPES, createChannel, updateChannel, type Channel, type ChannelBody, type ChannelType } from "../alerting-api";
import { describeError } from "../api";
import { setParams } from "../router";
import { FieldError, fieldErrorsOf, OtherErrors, type FieldErrors } from "../ui/field-errors";
import { html } from "../ui/html";

const MAX_RECIPIENTS = 20;

const URL_HINT: Record<string, string> = {
  webhook: "https://receiver.example.com/pulsestream",
  slack: "https://hooks.slack.com/services/…",
  teams: "https://….webhook.office.com/…",
};

function isType(t: string | undefined): t is ChannelType {
  return (CHANNEL_TYPES as readonly string[]).includes(t ?? "");
}

export function ChannelForm({ channel, type, onSaved, onCancel }: {
  channel?: Channel;
  type?: string;
  onSaved: (c: Channel) => void;
  onCancel: () => void;
}) {
  const editing = channel !== undefined;
  const kind: ChannelType = channel?.type ?? (isType(type) ? type : "webhook");
  const [name, setName] = useState(channel?.name ?? "");
  // Editing starts with empty secret-bearing fields: the API shows them masked, and sending the mask back would store it.
  const [url, setUrl] = useState("");
  const [routingKey, setRoutingKey] = useState("");
  const [recipients, setRecipients] = useState((channel?.recipients ?? []).join("\n"));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saving, setSaving] = useState(false);

  // Read from the inputs themselves: a submit right after typing sees what was typed, not a stale render's state.
  const body = (f: HTMLFormElement): ChannelBody => {
    const value = (sel: string) => (f.querySelector<HTMLInputElement | HTMLTextAreaElement>(sel)?.value ?? "");
    const url = value("#channel-url");
    const routingKey = value("#channel-routing-key");
    const recipients = value("#channel-recipients");
    const b: ChannelBody = { type: kind, name: value("#channel-name").trim() };
    // When editing, an empty secret-bearing field keeps what the channel has (it is left out of the body).
    if ((kind === "webhook" || kind === "slack" || kind === "teams") && (!editing || url.trim() !== "")) b.url = url.trim();
    if (kind === "pagerduty" && (!editing || routingKey.trim() !== "")) b.routingKey = routingKey.trim();
    if (kind === "email") b.recipients = recipients.split(/[\s,;]+/).map((r) => r.trim()).filter(Boolean);
    return b;
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const b = body(e.currentTarget as HTMLFormElement);
    const local: FieldErrors = {};
    if (b.name === "") local["name"] = "Required.";
    if (b.recipients && (b.recipients.length === 0 || b.recipients.length > MAX_RECIPIENTS)) local["recipients"] = `From 1 to ${MAX_RECIPIENTS} recipients.`;
    setErrors(local);
    if (Object.keys(local).length > 0) return;
    setSaving(true);
    try {
      onSaved(editing ? await updateChannel(channel.id, b) : await createChannel(b));
    } catch (err) {
      const byField = fieldErrorsOf(err);
      setErrors(Object.keys(byField).length > 0 ? byField : { $: describeError(err) });
    } finally {
      setSaving(false);
    }
  };

  return html`<form id="channel-form" class="form" novalidate onSubmit=${submit} data-type=${kind}>
    <label class="field"><span>Type</span>
      <select id="channel-type" value=${kind} disabled=${editing}
        onChange=${(e: Event) => setParams({ type: (e.target as HTMLSelectElement).value }, true)}>
        ${CHANNEL_TYPES.map((t) => html`<option value=${t}>${t}</option>`)}
      </select>
      <${FieldError} errors=${errors} field="type" />
    </label>
    <label class="field"><span>Name</span>
      <input id="channel-name" value=${name} maxLength=${200} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} />
      <${FieldError} errors=${errors} field="name" />
    </label>
    ${kind === "webhook" || kind === "slack" || kind === "teams"
      ? html`<label class="field"><span>${kind === "webhook" ? "URL" : "Incoming webhook URL"}</span>
          <input id="channel-url" type="url" value=${url} placeholder=${editing ? `unchanged: ${channel?.url ?? ""}` : URL_HINT[kind]}
            onInput=${(e: Event) => setUrl((e.target as HTMLInputElement).value)} />
          <${FieldError} errors=${errors} field="url" />
        </label>`
      : null}
    ${kind === "pagerduty"
      ? html`<label class="field"><span>Routing key (Events API v2)</span>
          <input id="channel-routing-key" value=${routingKey} autocomplete="off" placeholder=${editing ? `unchanged: ${channel?.routingKey ?? ""}` : ""}
            onInput=${(e: Event) => setRoutingKey((e.target as HTMLInputElement).value)} />
          <${FieldError} errors=${errors} field="routingKey" />
        </label>`
      : null}
    ${kind === "email"
      ? html`<label class="field"><span>Recipients (one a line, at most ${MAX_RECIPIENTS})</span>
          <textarea id="channel-recipients" rows="4" value=${recipients} onInput=${(e: Event) => setRecipients((e.target as HTMLTextAreaElement).value)}></textarea>
          <${FieldError} errors=${errors} field="recipients" />
        </label>`
      : null}
    <${OtherErrors} errors=${errors} shown=${["type", "name", "url", "routingKey", "recipients"]} />
    <div class="actions">
      <button type="submit" class="btn btn-primary" id="channel-save" disabled=${saving}>${saving ? "Saving…" : editing ? "Save" : "Create channel"}</button>
      <button type="button" class="btn" onClick=${onCancel}>Cancel</button>
    </div>
  </form>`;
}
