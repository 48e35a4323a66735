// Requests by status class: a bar and a legend with counts and shares.

import { formatInt } from "../../format";
import { html } from "../../ui/html";

const CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;

export function StatusClasses({ counts, id = "status-classes" }: { counts: Record<string, number>; id?: string }) {
  const shown = CLASSES.filter((c) => c !== "1xx" || (counts[c] ?? 0) > 0);
  const values = shown.map((c) => Math.max(0, Number(counts[c]) || 0));
  const total = values.reduce((a, b) => a + b, 0);
  return html`<section class="card" aria-label="Status classes" id=${id}>
    <div class="card-head"><h2>Status classes</h2></div>
    <div class=${`status-bar ${total === 0 ? "empty" : ""}`} aria-hidden="true">
      ${shown.map((c, i) => html`<span class=${`seg st-${c}`} style=${{ flexGrow: String(total > 0 ? values[i] : 0) }} title=${`${c}: ${formatInt(values[i])}`}></span>`)}
    </div>
    <ul class="status-legend" id=${`${id}-legend`}>
      ${shown.map((c, i) => html`<li data-class=${c}>
        <span class=${`dot st-${c}`}></span>
        <span class="lg-label">${c}</span>
        <span class="lg-value">${formatInt(values[i])}</span>
        <span class="lg-pct">${total > 0 ? `${((values[i]! / total) * 100).toFixed(1)} %` : ""}</span>
      </li>`)}
    </ul>
  </section>`;
}
