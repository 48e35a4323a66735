// The routes and consumers tables: sortable by any figure (the sort and its
// order live in the URL), a sparkline per row, a link per row to its page,
// and further pages on demand.

import { useState } from "preact/hooks";
import { formatBytes, formatInt, formatMs, formatRatio } from "../../format";
import { setParams, type Params } from "../../router";
import type { BreakdownRow, SparkPage } from "../../traffic-api";
import { formatTime } from "../../ui/format";
import { html } from "../../ui/html";
import { Sparkline } from "../../ui/Sparkline";
import { errorLevel } from "./Tiles";

export interface NameColumn<T> {
  sort: string;
  label: string;
  render: (row: T) => unknown;
}

const FIGURES: { sort: string; label: string; render: (r: BreakdownRow) => string; cls?: (r: BreakdownRow) => string }[] = [
  { sort: "requests", label: "Requests", render: (r) => formatInt(r.requests) },
  { sort: "errorRate", label: "Errors", render: (r) => formatRatio(r.errorRate), cls: (r) => (errorLevel(r.errorRate) === "ok" ? "" : errorLevel(r.errorRate)) },
  { sort: "p50", label: "p50", render: (r) => formatMs(r.p50) },
  { sort: "p95", label: "p95", render: (r) => formatMs(r.p95) },
  { sort: "p99", label: "p99", render: (r) => formatMs(r.p99) },
  { sort: "responseBytes", label: "Bytes out", render: (r) => formatBytes(r.responseBytes) },
  { sort: "requestBytes", label: "Bytes in", render: (r) => formatBytes(r.requestBytes) },
  { sort: "lastSeen", label: "Last seen", render: (r) => formatTime(r.lastSeen) },
];

/** Names sort ascending by default, figures descending (as the API does). */
export const defaultOrder = (sort: string, names: string[]) => (names.includes(sort) ? "asc" : "desc");

export function BreakdownTable<T extends BreakdownRow>(props: {
  id: string;
  caption: string;
  params: Params;
  names: NameColumn<T>[];
  first: SparkPage<T>;
  more: (cursor: string) => Promise<SparkPage<T>>;
  keyOf: (row: T) => string;
}) {
  const [extra, setExtra] = useState<{ rows: T[]; next: string | null; for: SparkPage<T> } | null>(null);
  const [busy, setBusy] = useState(false);
  const sort = props.params["sort"] ?? "requests";
  const names = props.names.map((n) => n.sort);
  const order = props.params["order"] ?? defaultOrder(sort, names);
  // Extra pages belong to the first page they followed; a new first page (filters, sort, refresh) drops them.
  const more = extra?.for === props.first ? extra : null;
  const rows = [...props.first.items, ...(more?.rows ?? [])];
  const next = more ? more.next : props.first.next;

  const header = (key: string, label: string, numeric: boolean) => {
    const active = sort === key;
    const nextOrder = active ? (order === "asc" ? "desc" : "asc") : defaultOrder(key, names);
    return html`<th class=${numeric ? "t-num" : ""} aria-sort=${active ? (order === "asc" ? "ascending" : "descending") : "none"}>
      <button type="button" class="th-sort" data-sort=${key} onClick=${() => setParams({ sort: key, order: nextOrder }, true)}>
        ${label}${active ? (order === "asc" ? " ▲" : " ▼") : ""}
      </button>
    </th>`;
  };

  const loadMore = async () => {
    if (!next) return;
    setBusy(true);
    try {
      const page = await props.more(next);
      setExtra({ rows: [...(more?.rows ?? []), ...page.items], next: page.next, for: props.first });
    } finally {
      setBusy(false);
    }
  };

  return html`<div class="table-wrap" tabindex="0" aria-label=${props.caption}>
    <table class="table breakdown" id=${props.id}>
      <caption class="sr-only">${props.caption}, sorted by ${sort} ${order === "asc" ? "ascending" : "descending"}</caption>
      <thead><tr>
        ${props.names.map((n) => header(n.sort, n.label, false))}
        ${FIGURES.map((f) => header(f.sort, f.label, true))}
        <th>Requests over the window</th>
      </tr></thead>
      <tbody>
        ${rows.map((r) => html`<tr key=${props.keyOf(r)} data-key=${props.keyOf(r)}>
          ${props.names.map((n) => html`<td>${n.render(r)}</td>`)}
          ${FIGURES.map((f) => html`<td class=${`t-num ${f.cls?.(r) ?? ""}`} data-figure=${f.sort}>${f.render(r)}</td>`)}
          <td class="t-spark"><${Sparkline} values=${r.spark} /></td>
        </tr>`)}
      </tbody>
    </table>
    <p class="muted table-foot">
      ${formatInt(rows.length)} shown${next ? "" : " (all)"}
      ${next ? html` <button type="button" class="btn btn-small" id=${`${props.id}-more`} disabled=${busy} onClick=${loadMore}>${busy ? "Loading…" : "Show more"}</button>` : null}
    </p>
  </div>`;
}
