// A row's requests over the window as a small line: decoration beside the
// numbers of its row (which say the same in text), so hidden from screen
// readers.

import { html } from "./html";

export function Sparkline({ values, width = 120, height = 24 }: { values: number[] | undefined; width?: number; height?: number }) {
  if (!values || values.length < 2) return html`<span class="spark-none" aria-hidden="true"></span>`;
  const max = Math.max(1, ...values);
  const step = width / (values.length - 1);
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`).join(" ");
  return html`<svg class="spark" width=${width} height=${height} viewBox=${`0 0 ${width} ${height}`} aria-hidden="true" focusable="false">
    <polyline points=${points} fill="none" stroke="currentColor" stroke-width="1.5" />
  </svg>`;
}
