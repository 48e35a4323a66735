// An anomaly rule's groups and their warm-up (GET /api/v1/alert-rules/{id}/baselines):
// which are judged by a weekly or a daily baseline, and from when the others
// will be; until then a group is judged by the rule's fallback threshold, if
// it has one, and not at all otherwise.

import { getRuleBaselines, type GroupBaseline, type Rule, type RuleBaselines } from "../alerting-api";
import { formatInt } from "../format";
import { useAsync } from "../ui/async";
import { formatGroup, formatTime } from "../ui/format";
import { html } from "../ui/html";
import { Async } from "../ui/states";

const WARM_UP_WORDS: Record<string, string> = { "3d": "3 days", "21d": "3 weeks", "1h": "hour" };

function judgedBy(g: GroupBaseline, rule: Rule): string {
  if (g.status === "weekly") return "weekly baseline (hour of the week)";
  if (g.status === "daily") return "daily baseline (hour of the day)";
  const fallback = rule.condition.fallback;
  return fallback ? `warming up: fallback ${fallback.operator} ${fallback.threshold}` : "warming up: not judged yet";
}

function BaselineTable({ b, rule }: { b: RuleBaselines; rule: Rule }) {
  return html`<p class="muted" id="rule-baselines-note">
      A group is judged by the hour of the day once it has ${WARM_UP_WORDS[b.dailyWarmUp] ?? b.dailyWarmUp} of history, and by the hour of
      the week after ${WARM_UP_WORDS[b.weeklyWarmUp] ?? b.weeklyWarmUp}. Baselines are worked out again every ${WARM_UP_WORDS[b.refreshed] ?? b.refreshed},
      for at most ${formatInt(b.maxGroups)} groups.
    </p>
    ${b.groups.length === 0
      ? html`<p class="empty" id="rule-baselines-empty">No group has a baseline yet: the first is worked out within the hour after the rule is saved, from the traffic it has seen.</p>`
      : html`<div class="table-wrap" tabindex="0"><table class="table" id="rule-baselines-table">
          <caption>Each group's warm-up</caption>
          <thead><tr><th scope="col">Group</th><th scope="col">Judged by</th><th scope="col">History since</th><th scope="col">Daily from</th>
            <th scope="col">Weekly from</th><th scope="col" class="t-num">Hours seen</th><th scope="col">Worked out</th></tr></thead>
          <tbody>
            ${b.groups.map(
              (g) => html`<tr data-group=${g.group} data-status=${g.status}>
                <td>${formatGroup(g.group)}</td>
                <td>${judgedBy(g, rule)}</td>
                <td>${formatTime(g.historyFrom)}</td>
                <td>${g.status === "warming-up" ? formatTime(g.dailyFrom) : "ready"}</td>
                <td>${g.status === "weekly" ? "ready" : formatTime(g.weeklyFrom)}</td>
                <td class="t-num">${formatInt(g.samples)}</td>
                <td>${formatTime(g.computedAt)}</td>
              </tr>`,
            )}
          </tbody>
        </table></div>`}`;
}

export function RuleBaselinesPanel({ rule }: { rule: Rule }) {
  const state = useAsync(() => getRuleBaselines(rule.id), [rule.id, rule.updatedAt]);
  return html`<section class="baselines" id="rule-baselines" aria-labelledby="rule-baselines-title">
    <h3 id="rule-baselines-title">Baselines</h3>
    <${Async} state=${state}>${(b: RuleBaselines) => html`<${BaselineTable} b=${b} rule=${rule} />`}<//>
  </section>`;
}
