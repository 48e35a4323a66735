// The overview's insights: the window's largest changes against the same
// window on the previous days (GET /api/v1/dashboard/insights), by route and
// consumer, in traffic, errors and latency, each linking to its page. It
// reloads every minute while the overview shows "now".

import { useEffect } from "preact/hooks";
import { formatInt, formatRatio } from "../../format";
import { getInsights, INSIGHT_WINDOWS, type InsightChange, type InsightMetric, type Insights, type TrafficScope } from "../../traffic-api";
import { useAsync } from "../../ui/async";
import { formatMetric } from "../../ui/format";
import { html } from "../../ui/html";
import { Async } from "../../ui/states";
import { ContributorValue, signed } from "../AnomalyExplanation";

const RELOAD_MS = 60_000;

const METRICS: { metric: InsightMetric; title: string; what: string }[] = [
  { metric: "request_count", title: "Traffic", what: "requests" },
  { metric: "error_rate", title: "Errors", what: "error rate (5xx)" },
  { metric: "latency_avg", title: "Latency", what: "mean latency" },
];

const WINDOW_WORDS: Record<string, string> = { "5m": "5 minutes", "15m": "15 minutes", "1h": "hour", "6h": "6 hours", "24h": "24 hours" };

/** The insights window of an overview window: the same, or its last day when it is longer. */
export const insightWindowOf = (window: string) => (INSIGHT_WINDOWS.includes(window) ? window : "24h");

function comparedWith(x: Insights): string {
  const span = WINDOW_WORDS[x.window] ?? x.window;
  const days = x.references.length === 1 ? "the day before" : `the ${x.references.length} previous days with traffic`;
  return `last ${span} against the same ${span} on ${days}`;
}

/** More errors or more latency are worse, less is better; more or less traffic is neither. */
const effectClass = (c: InsightChange) => (c.metric === "request_count" ? "" : c.contribution > 0 ? "worse" : "better");

function ChangeItem({ c, window, env }: { c: InsightChange; window: string; env?: string }) {
  const share = c.share != null && c.share > 0 ? ` (${formatRatio(c.share)} of the change)` : "";
  const before = c.before == null ? "new" : formatMetric(c.metric, c.before);
  return html`<li class="insight" data-metric=${c.metric} data-dimension=${c.dimension} data-value=${c.value ?? ""}>
    <span class="insight-which"><span class="muted">${c.dimension === "consumerId" ? "consumer" : "route"}</span> <${ContributorValue} c=${c} window=${window} env=${env} /></span>
    <span class="insight-figures">${before} → ${formatMetric(c.metric, c.now)}</span>
    <span class=${`insight-effect ${effectClass(c)}`}>${signed(c.metric, c.contribution)} on the API${share}</span>
    <span class="insight-traffic muted">${formatInt(c.requests)} requests (before ${formatInt(Math.round(c.requestsBefore))})</span>
  </li>`;
}

function InsightsBody({ x, env }: { x: Insights; env?: string }) {
  if (x.note) return html`<p class="empty" id="insights-note">${x.note}</p>`;
  const groups = METRICS.map((m) => ({ ...m, total: x.totals.find((t) => t.metric === m.metric), changes: x.changes.filter((c) => c.metric === m.metric) }));
  return html`<p class="muted" id="insights-compared">${comparedWith(x)}</p>
    ${x.changes.length === 0 ? html`<p class="empty" id="insights-none">No route or consumer changed noticeably.</p>` : null}
    <div class="insight-groups">
      ${groups.map(
        (g) => html`<section class="insight-group" id=${`insights-${g.metric}`} aria-labelledby=${`insights-${g.metric}-title`}>
          <h3 id=${`insights-${g.metric}-title`}>${g.title}</h3>
          ${g.total
            ? html`<p class="insight-total">API ${g.what}: ${formatMetric(g.metric, g.total.before)} → ${formatMetric(g.metric, g.total.now)} (${signed(g.metric, g.total.change)})</p>`
            : null}
          ${g.changes.length
            ? html`<ul class="insight-list">${g.changes.map((c) => html`<${ChangeItem} c=${c} window=${x.window} env=${env} />`)}</ul>`
            : html`<p class="muted insight-steady">No large change.</p>`}
        </section>`,
      )}
    </div>`;
}

export function InsightsPanel({ scope }: { scope: TrafficScope }) {
  const window = insightWindowOf(scope.window);
  const state = useAsync(() => getInsights({ ...scope, window }), [window, scope.environment, scope.to]);
  useEffect(() => {
    if (scope.to) return undefined;
    const timer = setInterval(state.reload, RELOAD_MS);
    return () => clearInterval(timer);
  }, [window, scope.environment, scope.to]);
  return html`<section class="card insights-card" id="insights" aria-labelledby="insights-title">
    <div class="card-head"><h2 id="insights-title">Insights</h2><span class="muted">largest changes by route and consumer</span></div>
    <${Async} state=${state}>${(x: Insights) => html`<${InsightsBody} x=${x} env=${scope.environment} />`}<//>
  </section>`;
}
