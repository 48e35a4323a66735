// The key figures of a traffic page, all from one snapshot's totals.

import { formatBytes, formatInt, formatMs, formatRate, formatRatio } from "../../format";
import type { Totals } from "../../traffic-api";
import { html } from "../../ui/html";

export const errorLevel = (rate: number | null | undefined) => {
  const r = Number(rate) || 0;
  return r >= 0.05 ? "bad" : r >= 0.01 ? "warn" : "ok";
};

function Tile({ id, label, value, sub, level }: { id: string; label: string; value: string; sub: string; level?: string }) {
  return html`<div class="tile" data-level=${level ?? null}>
    <div class="tile-label">${label}</div>
    <div id=${id} class="tile-value">${value}</div>
    <div class="tile-sub" id=${`${id}-sub`}>${sub}</div>
  </div>`;
}

export function Tiles({ totals }: { totals: Totals }) {
  const t = totals;
  return html`<section class="tiles" aria-label="Key figures">
    <${Tile} id="kpi-requests" label="Requests" value=${formatInt(t.requests)} sub="in the window" />
    <${Tile} id="kpi-rpm" label="Requests / min" value=${formatRate(t.rpm)} sub="average" />
    <${Tile} id="kpi-error-rate" label="Error rate" value=${formatRatio(t.errorRate)} level=${errorLevel(t.errorRate)}
      sub=${`${formatInt(t.errors4xx ?? 0)} 4xx · ${formatInt(t.errors5xx ?? 0)} 5xx`} />
    <${Tile} id="kpi-p50" label="p50 latency" value=${formatMs(t.p50)} sub="median" />
    <${Tile} id="kpi-p95" label="p95 latency" value=${formatMs(t.p95)} sub="95th percentile" />
    <${Tile} id="kpi-p99" label="p99 latency" value=${formatMs(t.p99)} sub="99th percentile" />
    <${Tile} id="kpi-bytes" label="Response bytes" value=${formatBytes(t.responseBytes)} sub=${`${formatBytes(t.requestBytes)} received`} />
  </section>`;
}
