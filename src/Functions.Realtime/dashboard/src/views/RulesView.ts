// Rules: the list (enable/disable for Admins) and, when one is selected
// (`id`, or `id=new`), the editor with its preview.

import { useState } from "preact/hooks";
import { listRules, setRuleEnabled, type Page, type Rule } from "../alerting-api";
import { describeError } from "../api";
import { formatInt } from "../format";
import { setParams, type Params } from "../router";
import { useAsync } from "../ui/async";
import { formatTime } from "../ui/format";
import { html } from "../ui/html";
import { useRole } from "../ui/role";
import { Async } from "../ui/states";
import { SeverityBadge } from "./AlertsView";
import { RuleEditor } from "./RuleEditor";

export function describeCondition(r: Rule): string {
  const c = r.condition;
  if (!c) return "—";
  if (c.type === "burn_rate") return `SLO burn rate, ${c.level ?? "page"}${r.for && r.for !== "0s" ? ` for ${r.for}` : ""}`;
  if (c.type === "anomaly")
    return `${c.metric} anomaly (${c.direction === "both" || !c.direction ? "above or below" : c.direction}, ${c.sensitivity ?? "medium"}) over ${c.window ?? "10m"}${r.for && r.for !== "0s" ? ` for ${r.for}` : ""}`;
  return `${c.metric} ${c.operator} ${c.threshold} over ${c.window}${r.for && r.for !== "0s" ? ` for ${r.for}` : ""}`;
}

function EnabledToggle({ rule, onChanged }: { rule: Rule; onChanged: () => void }) {
  const { isAdmin } = useRole();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!isAdmin) return html`<span class=${rule.enabled ? "on" : "off"}>${rule.enabled ? "enabled" : "disabled"}</span>`;
  const toggle = async (e: Event) => {
    e.stopPropagation();
    setBusy(true);
    setError(null);
    try {
      await setRuleEnabled(rule.id, !rule.enabled);
      onChanged();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return html`<button type="button" class=${`btn btn-small rule-toggle ${rule.enabled ? "on" : "off"}`} aria-pressed=${rule.enabled}
      disabled=${busy} onClick=${toggle} title=${error ?? (rule.enabled ? "Disable this rule" : "Enable this rule")}>
    ${rule.enabled ? "enabled" : "disabled"}
  </button>${error ? html`<span class="form-error">${error}</span>` : null}`;
}

export function RulesView({ params }: { params: Params }) {
  const { isAdmin } = useRole();
  const selected = params["id"] ?? "";
  const rules = useAsync(() => listRules(), []);

  return html`<div class="view view-rules" id="view-rules">
    <div class="section-head">
      <h1>Alert rules</h1>
      ${isAdmin ? html`<button type="button" class="btn btn-primary" id="rule-new" onClick=${() => setParams({ id: "new" })}>New rule</button>` : null}
    </div>
    <div class=${`split ${selected ? "has-detail" : ""}`}>
      <section class="card" aria-label="Rule list">
        <${Async} state=${rules} isEmpty=${(d: Page<Rule>) => d.items.length === 0}
          empty=${isAdmin ? "No rules yet. Create one with New rule." : "No rules yet."}>
          ${(d: Page<Rule>) => html`<div class="table-wrap" tabindex="0"><table class="table" id="rules-table">
            <thead><tr><th>Name</th><th>Severity</th><th>Condition</th><th>Enabled</th><th>Last evaluated</th><th class="t-num">Groups</th></tr></thead>
            <tbody>
              ${d.items.map(
                (r) => html`<tr key=${r.id} data-rule-id=${r.id} data-enabled=${String(r.enabled)}
                    class=${`clickable ${r.id === selected ? "selected" : ""}`} onClick=${() => setParams({ id: r.id })}>
                  <td class="rule-name">${r.name}</td>
                  <td><${SeverityBadge} severity=${r.severity} /></td>
                  <td class="mono">${describeCondition(r)}</td>
                  <td><${EnabledToggle} rule=${r} onChanged=${rules.reload} /></td>
                  <td class="t-time" title=${r.evaluation?.lastError ?? ""}>${r.evaluation?.lastError ? "error: " : ""}${formatTime(r.evaluation?.lastEvaluatedAt)}</td>
                  <td class="t-num">${r.evaluation ? formatInt(r.evaluation.groups) : "—"}${r.evaluation?.groupLimitHit ? " (limit)" : ""}</td>
                </tr>`,
              )}
            </tbody>
          </table></div>`}
        <//>
      </section>
      ${selected
        ? html`<${RuleEditor} key=${selected} id=${selected} range=${params["range"] ?? "24h"} onSaved=${(id: string) => {
            rules.reload();
            setParams({ id }, true);
          }} onDeleted=${() => {
            rules.reload();
            setParams({ id: null });
          }} />`
        : null}
    </div>
  </div>`;
}
