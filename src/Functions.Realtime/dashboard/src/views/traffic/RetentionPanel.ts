// The tenant's effective retention per tier; an overridden tier is marked.

import { getRetention } from "../../api";
import { formatInt } from "../../format";
import { useAsync } from "../../ui/async";
import { html } from "../../ui/html";
import { Async } from "../../ui/states";

const TIERS = ["raw", "minute", "hour", "day", "audit"] as const;
/** Days are what the API and the settings speak ("13 mo" would be ambiguous for 395 days). */
const days = (n: number) => `${formatInt(n)} d`;

export function RetentionPanel() {
  const state = useAsync(getRetention, []);
  return html`<section class="card" aria-label="Retention">
    <div class="card-head"><h2>Retention</h2></div>
    <${Async} state=${state}>
      ${(settings: Awaited<ReturnType<typeof getRetention>>) => html`<ul id="retention-list" class="status-legend retention-list">
        ${TIERS.map((tier) => {
          const t = settings[tier];
          return html`<li data-tier=${tier} title=${t.overridden ? `set for this tenant (default ${days(t.defaultDays)})` : "default"}>
            <span class="lg-label">${tier}</span><span class="lg-value">${days(t.days)}</span>${t.overridden ? html`<span class="lg-pct">custom</span>` : null}
          </li>`;
        })}
      </ul>`}
    <//>
  </section>`;
}
