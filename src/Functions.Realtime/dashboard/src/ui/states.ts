// The loading, empty and error states every view shows the same way.

import type { ComponentChildren } from "preact";
import { ApiError, describeError } from "../api";
import { html } from "./html";

export function Loading({ what = "Loading…" }: { what?: string }) {
  return html`<p class="view-state" data-state="loading" role="status">${what}</p>`;
}

export function Empty({ children }: { children: ComponentChildren }) {
  return html`<p class="view-state empty" data-state="empty">${children}</p>`;
}

export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  const forbidden = error instanceof ApiError && error.status === 403;
  return html`<div class="view-state view-error" data-state="error" role="alert">
    <span>${forbidden ? "Your role may not see this." : describeError(error)}</span>
    ${retry ? html`<button type="button" class="btn btn-small" onClick=${retry}>Retry</button>` : null}
  </div>`;
}

/** Shows `error`, else loading (first load), else `empty` when `isEmpty`, else the children. */
export function Async<T>(props: {
  state: { data: T | undefined; error: unknown; loading: boolean; reload(): void };
  isEmpty?: (d: T) => boolean;
  empty?: ComponentChildren;
  children: (d: T) => ComponentChildren;
}) {
  const { state } = props;
  if (state.error !== undefined && state.data === undefined) return html`<${ErrorState} error=${state.error} retry=${state.reload} />`;
  if (state.data === undefined) return html`<${Loading} />`;
  if (props.isEmpty?.(state.data)) return html`<${Empty}>${props.empty ?? "Nothing here yet."}<//>`;
  return html`${state.error !== undefined ? html`<${ErrorState} error=${state.error} retry=${state.reload} />` : null}${props.children(state.data)}`;
}
