// Why an anomaly alert fired: the band its group was judged against, the
// observed value and how far outside, and the routes and consumers that moved
// the metric most against the same window in earlier seasons, each linking to
// its page.

import type { AnomalyContributor, AnomalyExplanation } from "../alerting-api";
import { formatClock, formatInt, formatRatio } from "../format";
import { hrefFor } from "../router";
import { formatMetric, formatTime } from "../ui/format";
import { html } from "../ui/html";
import { MethodBadge } from "./traffic/TopRoutes";

export const BASIS_LABELS: Record<string, string> = {
  request_count: "requests",
  error_rate: "error rate (5xx)",
  client_error_rate: "client error rate (4xx)",
  latency_avg: "mean latency",
};

/** A change with its sign, in the metric's unit: "+25.00 %", "−3 ms". */
export function signed(metric: string, v: number): string {
  return `${v > 0 ? "+" : v < 0 ? "−" : ""}${formatMetric(metric, Math.abs(v))}`;
}

/** "observed 25.00 %, expected 0.00 % (band 0.00 % to 0.41 %), 61.2σ above", or the fallback's sentence. */
export function describeExplanation(x: AnomalyExplanation): string {
  const observed = `observed ${formatMetric(x.metric, x.observed)}`;
  if (x.expected == null || x.lower == null || x.upper == null || x.sigmas == null)
    return `${observed}: the group was still warming up and fired by the rule's fallback threshold`;
  const band = `band ${formatMetric(x.metric, Math.max(0, x.lower))} to ${formatMetric(x.metric, x.upper)}`;
  return `${observed}, expected ${formatMetric(x.metric, x.expected)} (${band}), ${Math.abs(x.sigmas).toFixed(1)}σ ${x.direction}`;
}

function seasonText(x: AnomalyExplanation): string {
  if (x.seasonality === "weekly") return "its weekly baseline (the hour of the week)";
  if (x.seasonality === "daily") return "its daily baseline (the hour of the day)";
  return "no baseline yet";
}

/** "Compared with the same 10 minutes on the 3 previous days: error rate (5xx) 0.00 % → 25.00 % (+25.00 %)." */
function describeComparison(x: AnomalyExplanation, c: NonNullable<AnomalyExplanation["comparison"]>): string {
  const minutes = Math.round((Date.parse(x.to) - Date.parse(x.from)) / 60000);
  const unit = x.seasonality === "weekly" ? "week" : "day";
  const when = c.windows.length === 1 ? `one ${unit} earlier` : `on the ${c.windows.length} previous ${unit}s`;
  const proxy = c.basis !== x.metric ? " (a percentile is explained through the mean latency, which splits exactly)" : "";
  return `Compared with the same ${minutes} minutes ${when}: ${BASIS_LABELS[c.basis] ?? c.basis} ${formatMetric(c.basis, c.before)} → ${formatMetric(c.basis, c.now)} (${signed(c.basis, c.change)})${proxy}.`;
}

/** A route (with its method) or consumer of a split, linking to its page; a null value is the requests without a consumer. */
export function ContributorValue({ c, window, env }: { c: Pick<AnomalyContributor, "dimension" | "value" | "method">; window?: string; env?: string }) {
  if (c.value == null) return html`<span class="muted">requests without a consumer</span>`;
  if (c.dimension === "route")
    return html`<${MethodBadge} method=${c.method ?? ""} /> <a class="mono" href=${hrefFor("routes", { route: c.value, method: c.method, window, env })}>${c.value}</a>`;
  return html`<a class="mono" href=${hrefFor("consumers", { consumer: c.value, window, env })}>${c.value}</a>`;
}

export function AnomalyExplanationPanel({ explanation: x }: { explanation: AnomalyExplanation }) {
  const c = x.comparison;
  const basis = c?.basis ?? x.metric;
  return html`<section class="explanation" id="alert-explanation" aria-labelledby="alert-explanation-title">
    <h3 id="alert-explanation-title">Why it fired</h3>
    <p id="alert-explanation-band">
      From ${formatTime(x.from)} to ${formatClock(new Date(x.to))}: ${describeExplanation(x)}, judged against ${seasonText(x)}.
    </p>
    ${c ? html`<p id="alert-explanation-comparison">${describeComparison(x, c)}</p>` : null}
    ${x.contributors.length
      ? html`<div class="table-wrap" tabindex="0"><table class="table" id="alert-contributors">
          <caption>Routes and consumers that moved it most</caption>
          <thead><tr><th scope="col">By</th><th scope="col">Which</th><th scope="col" class="t-num">Before</th><th scope="col" class="t-num">Now</th>
            <th scope="col" class="t-num">Part of the change</th><th scope="col" class="t-num">Share</th><th scope="col" class="t-num">Requests</th></tr></thead>
          <tbody>
            ${x.contributors.map(
              (k) => html`<tr data-dimension=${k.dimension} data-value=${k.value ?? ""}>
                <td>${k.dimension === "consumerId" ? "consumer" : k.dimension}</td>
                <td><${ContributorValue} c=${k} /></td>
                <td class="t-num">${formatMetric(basis, k.before)}</td>
                <td class="t-num">${formatMetric(basis, k.now)}</td>
                <td class="t-num">${signed(basis, k.contribution)}</td>
                <td class="t-num">${k.share == null ? "—" : formatRatio(k.share)}</td>
                <td class="t-num">${formatInt(k.requests)} (before ${formatInt(Math.round(k.requestsBefore))})</td>
              </tr>`,
            )}
          </tbody>
        </table></div>`
      : null}
    ${x.note ? html`<p class="muted" id="alert-explanation-note">${x.note}</p>` : null}
  </section>`;
}
