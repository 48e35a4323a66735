// A routes or consumers list page: the window and environment pickers and
// the sortable breakdown table, with the sort in the URL.

import { setParams, type Params } from "../../router";
import type { BreakdownRow, SparkPage, TrafficScope } from "../../traffic-api";
import { useAsync } from "../../ui/async";
import { html } from "../../ui/html";
import { EnvironmentPicker, WindowPicker, windowParam } from "../../ui/pickers";
import { Async } from "../../ui/states";
import { BreakdownTable, defaultOrder, type NameColumn } from "./BreakdownTable";

export function BreakdownList<T extends BreakdownRow>(props: {
  /** "routes" or "consumers": the view's id and its elements' ids start with it. */
  kind: string;
  title: string;
  params: Params;
  load: (s: TrafficScope, sort: string, order: string, limit?: number, cursor?: string) => Promise<SparkPage<T>>;
  names: (window: string, env: string | undefined) => NameColumn<T>[];
  keyOf: (row: T) => string;
}) {
  const { params } = props;
  const window = windowParam(params["window"], "24h");
  const env = params["env"] || undefined;
  const names = props.names(window, env);
  const sort = params["sort"] ?? "requests";
  const order = params["order"] ?? defaultOrder(sort, names.map((n) => n.sort));
  const scope: TrafficScope = { window, environment: env, to: params["to"] };
  const state = useAsync(() => props.load(scope, sort, order), [window, env, sort, order, params["to"]]);
  return html`<section id=${`view-${props.kind}`}>
    <div class="section-head">
      <h1>${props.title}</h1>
      <div class="pickers">
        <${WindowPicker} id=${`${props.kind}-window`} value=${window} onChange=${(w: string) => setParams({ window: w })} />
        <${EnvironmentPicker} id=${`${props.kind}-env`} value=${env ?? ""} options=${state.data?.environments ?? []} onChange=${(v: string) => setParams({ env: v })} />
      </div>
    </div>
    <${Async} state=${state} isEmpty=${(p: SparkPage<T>) => p.items.length === 0} empty="No traffic in the window.">
      ${(first: SparkPage<T>) => html`<${BreakdownTable} id=${`${props.kind}-table`} caption=${props.title} params=${params} first=${first}
        keyOf=${props.keyOf} names=${names} more=${(cursor: string) => props.load(scope, sort, order, 50, cursor)} />`}
    <//>
  </section>`;
}
