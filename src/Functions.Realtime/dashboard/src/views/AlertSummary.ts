// The alert summary strip: open, by state, MTTA and MTTR, oldest unacknowledged, noisiest rules.

import { getAlertSummary } from "../alerting-api";
import { formatInt } from "../format";
import { hrefFor } from "../router";
import { useAsync } from "../ui/async";
import { formatSeconds } from "../ui/format";
import { html } from "../ui/html";
import { ErrorState, Loading } from "../ui/states";

export const SUMMARY_WINDOWS = ["24h", "7d", "30d"];

export function AlertSummaryStrip({ window, tick, onWindow }: { window: string; tick: number; onWindow: (w: string) => void }) {
  const state = useAsync(() => getAlertSummary(window), [window, tick]);
  const s = state.data;
  return html`<section class="card summary" id="alerts-summary" aria-label="Alert summary" data-window=${window}>
    <div class="card-head">
      <h2>Summary</h2>
      <label class="inline-field">window
        <select id="summary-window" value=${window} onChange=${(e: Event) => onWindow((e.target as HTMLSelectElement).value)}>
          ${SUMMARY_WINDOWS.map((w) => html`<option value=${w}>${w}</option>`)}
        </select>
      </label>
    </div>
    ${s === undefined
      ? state.error !== undefined
        ? html`<${ErrorState} error=${state.error} retry=${state.reload} />`
        : html`<${Loading} />`
      : html`<div class="summary-tiles">
          <div class="tile"><div class="tile-label">Open</div><div class="tile-value" data-summary="open">${formatInt(s.open)}</div></div>
          ${["firing", "acknowledged", "resolved"].map(
            (k) => html`<div class="tile"><div class="tile-label">${k}</div><div class="tile-value" data-summary=${k}>${formatInt(s.byState?.[k] ?? 0)}</div></div>`,
          )}
          <div class="tile"><div class="tile-label">MTTA</div><div class="tile-value" data-summary="mtta">${formatSeconds(s.mtta?.mean)}</div>
            <div class="tile-sub">p50 ${formatSeconds(s.mtta?.p50)} · p90 ${formatSeconds(s.mtta?.p90)} · n=${formatInt(s.mtta?.count ?? 0)}</div></div>
          <div class="tile"><div class="tile-label">MTTR</div><div class="tile-value" data-summary="mttr">${formatSeconds(s.mttr?.mean)}</div>
            <div class="tile-sub">p50 ${formatSeconds(s.mttr?.p50)} · p90 ${formatSeconds(s.mttr?.p90)} · n=${formatInt(s.mttr?.count ?? 0)}</div></div>
        </div>
        <div class="summary-notes">
          ${s.oldestUnacknowledged
            ? html`<span data-summary="oldest">Oldest unacknowledged: <a href=${hrefFor("alerts", { id: s.oldestUnacknowledged.id })}>${s.oldestUnacknowledged.ruleName}</a></span>`
            : html`<span class="muted" data-summary="oldest">Nothing waits for an acknowledgement.</span>`}
          ${s.noisiestRules?.length
            ? html`<span>Noisiest: ${s.noisiestRules.slice(0, 3).map((r, i) => html`${i ? ", " : ""}<a href=${hrefFor("rules", { id: r.ruleId })}>${r.ruleName}</a> (${formatInt(r.alerts)})`)}</span>`
            : null}
        </div>`}
  </section>`;
}
