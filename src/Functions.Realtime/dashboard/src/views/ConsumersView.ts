// Consumers: every consumer (the tenant's own customers) of the window,
// sortable, with sparklines (`#/consumers?window=24h&sort=errorRate`); a
// consumer's own page when the URL names one (`#/consumers?consumer=acme`).

import { hrefFor, type Params } from "../router";
import { getConsumerDetail, getConsumers, type ConsumerRow, type TrafficScope } from "../traffic-api";
import { html } from "../ui/html";
import { BreakdownList } from "./traffic/BreakdownList";
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
  return html`<${BreakdownList} kind="consumers" title="Consumers" params=${params} load=${getConsumers} keyOf=${(r: ConsumerRow) => r.consumerId}
    names=${(window: string, env?: string) => [
      { sort: "consumerId", label: "Consumer", render: (r: ConsumerRow) => html`<a href=${hrefFor("consumers", { consumer: r.consumerId, window, env })} class="mono">${r.consumerId}</a>` },
    ]} />`;
}
