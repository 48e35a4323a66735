// Consumers: every consumer (the tenant's own customers) of the window,
// sortable, with sparklines (`#/consumers?window=24h&sort=errorRate`); a
// consumer's own page when the URL names one (`#/consumers?consumer=acme`).

import { hrefFor, setParams, type Params } from "../router";
import { getConsumerDetail, getConsumers, type ConsumerRow, type TrafficScope } from "../traffic-api";
import { useAsync } from "../ui/async";
import { html } from "../ui/html";
import { EnvironmentPicker, WindowPicker, windowParam } from "../ui/pickers";
import { Async } from "../ui/states";
import { BreakdownTable, defaultOrder } from "./traffic/BreakdownTable";
import { DetailPage } from "./traffic/DetailPage";

export function ConsumersView({ params }: { params: Params }) {
  const consumer = params["consumer"];
  if (consumer) {
    return html`<${DetailPage} kind="consumer" params=${params} back=${{ view: "consumers", label: "All consumers" }}
      title=${html`Consumer <span class="mono">${consumer}</span>`}
      scope=${(window: string, environment?: string): TrafficScope => ({ window, environment, consumerId: consumer })}
      load=${getConsumerDetail} events=${{ consumerId: consumer }}
      matches=${(e: { consumerId?: string | null; environment?: string }) => e.consumerId === consumer && (!params["env"] || e.environment === params["env"])} />`;
  }
  return html`<${ConsumersList} params=${params} />`;
}

function ConsumersList({ params }: { params: Params }) {
  const window = windowParam(params["window"], "24h");
  const env = params["env"] || undefined;
  const sort = params["sort"] ?? "requests";
  const order = params["order"] ?? defaultOrder(sort, ["consumerId"]);
  const scope: TrafficScope = { window, environment: env, to: params["to"] };
  const state = useAsync(() => getConsumers(scope, sort, order), [window, env, sort, order, params["to"]]);
  return html`<section id="view-consumers">
    <div class="section-head">
      <h1>Consumers</h1>
      <div class="pickers">
        <${WindowPicker} id="consumers-window" value=${window} onChange=${(w: string) => setParams({ window: w })} />
        <${EnvironmentPicker} id="consumers-env" value=${env ?? ""} options=${state.data?.environments ?? []} onChange=${(v: string) => setParams({ env: v })} />
      </div>
    </div>
    <${Async} state=${state} isEmpty=${(p: { items: ConsumerRow[] }) => p.items.length === 0} empty="No traffic in the window.">
      ${(first: Awaited<ReturnType<typeof getConsumers>>) => html`<${BreakdownTable} id="consumers-table" caption="Consumers" params=${params} first=${first}
        keyOf=${(r: ConsumerRow) => r.consumerId}
        more=${(cursor: string) => getConsumers(scope, sort, order, 50, cursor)}
        names=${[
          { sort: "consumerId", label: "Consumer", render: (r: ConsumerRow) => html`<a href=${hrefFor("consumers", { consumer: r.consumerId, window, env })} class="mono">${r.consumerId}</a>` },
        ]} />`}
    <//>
  </section>`;
}
