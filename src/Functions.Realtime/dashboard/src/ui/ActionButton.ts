// A button that runs one API call: asks first when `confirm` is given, is
// busy while the call runs, and says in words what went wrong.

import { useState } from "preact/hooks";
import { describeError } from "../api";
import { html } from "./html";

export function ActionButton(props: { id?: string; label: string; confirm?: string; run: () => Promise<unknown>; done?: () => void; danger?: boolean; aria?: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const click = async () => {
    if (props.confirm && !window.confirm(props.confirm)) return;
    setBusy(true);
    setError(null);
    try {
      await props.run();
      props.done?.();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return html`<button type="button" id=${props.id ?? null} class=${`btn btn-small ${props.danger ? "btn-danger" : ""}`} disabled=${busy}
      aria-label=${props.aria ?? null} onClick=${click}>${busy ? "…" : props.label}</button>${error
      ? html` <span class="form-error" role="alert">${error}</span>`
      : null}`;
}

/** A secret shown once (a new API key, an invitation): selectable, with a copy button and the warning that it will not be shown again. */
export function ShownOnce({ id, label, value, note }: { id: string; label: string; value: string; note: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
    } catch {
      // No clipboard (an insecure origin, a refused permission): select it for the person to copy.
      const input = document.getElementById(`${id}-value`) as HTMLInputElement | null;
      input?.select();
    }
  };
  return html`<div class="shown-once card" id=${id} role="status">
    <label for=${`${id}-value`}>${label}</label>
    <div class="shown-once-row">
      <input id=${`${id}-value`} class="mono" readOnly value=${value} onFocus=${(e: Event) => (e.target as HTMLInputElement).select()} />
      <button type="button" class="btn btn-small" id=${`${id}-copy`} onClick=${copy}>${copied ? "Copied" : "Copy"}</button>
    </div>
    <p class="muted">${note}</p>
  </div>`;
}
