// The read API behind the traffic views (overview, routes, consumers, live
// tail): the shapes it answers and one query builder, so every view passes
// the same window, end and filters the same way.

import type { AnomalyContributor } from "./alerting-api";
import { api, type Alert } from "./api";

/** The scope every traffic read takes: a window ending at `to` (default now) and optional filters. */
export interface TrafficScope {
  window: string;
  to?: string;
  environment?: string;
  route?: string;
  method?: string;
  consumerId?: string;
}

export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v != null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

const scopeParams = (s: TrafficScope) => ({ window: s.window, to: s.to, environment: s.environment, route: s.route, method: s.method, consumerId: s.consumerId });

export interface Totals {
  requests: number;
  errors4xx: number;
  errors5xx: number;
  errorRate: number | null;
  rpm: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  requestBytes: number;
  responseBytes: number;
}

export interface TopRoute {
  route: string;
  method: string;
  requests: number;
  errorRate: number | null;
  p95: number | null;
}

export interface Overview {
  window: string;
  from: string;
  to: string;
  environment: string | null;
  totals: Totals;
  topRoutes: TopRoute[];
  statusClasses: Record<string, number>;
  firingAlerts: Alert[];
  environments: string[];
}

export const getOverview = (s: TrafficScope) =>
  api<Overview>(`/api/v1/dashboard/overview${query({ window: s.window, to: s.to, environment: s.environment })}`);

export interface TimeseriesPoint {
  ts: string;
  value: number | null;
}

export interface Timeseries {
  metric: string;
  window: string;
  step: string;
  from: string;
  to: string;
  points: TimeseriesPoint[];
}

export type MetricName = "request_count" | "error_rate" | "latency_p50" | "latency_p95" | "latency_p99" | "latency_avg";

export const getTimeseries = (metric: MetricName, s: TrafficScope, step: string) =>
  api<Timeseries>(`/api/v1/metrics/timeseries${query({ metric, ...scopeParams(s), step })}`);

/** The step each window is drawn with: 30 to 360 points. */
export const STEP_OF: Record<string, string> = { "5m": "10s", "15m": "10s", "1h": "1m", "6h": "5m", "24h": "5m", "7d": "1h", "30d": "1h" };
export const stepOf = (window: string) => STEP_OF[window] ?? "1m";

const STEP_WORDS: Record<string, string> = { "10s": "10 seconds", "1m": "minute", "5m": "5 minutes", "1h": "hour", "1d": "day" };
export const stepWords = (step: string) => STEP_WORDS[step] ?? step;

export interface BreakdownRow {
  requests: number;
  errorRate: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  requestBytes: number;
  responseBytes: number;
  lastSeen: string;
  spark?: number[];
}

export interface ConsumerRow extends BreakdownRow {
  consumerId: string;
}

export interface Page<T> {
  window: string;
  from: string;
  to: string;
  items: T[];
  next: string | null;
  environments: string[];
}

export interface RouteRow extends BreakdownRow {
  route: string;
  method: string;
}

export const getRoutes = (s: TrafficScope, sort: string, order: string, limit = 50, cursor?: string) =>
  api<SparkPage<RouteRow>>(`/api/v1/routes${query({ window: s.window, to: s.to, environment: s.environment, sort, order, limit, cursor, spark: "true" })}`);

export const getConsumers = (s: TrafficScope, sort: string, order: string, limit = 50, cursor?: string) =>
  api<SparkPage<ConsumerRow>>(`/api/v1/consumers${query({ window: s.window, to: s.to, environment: s.environment, sort, order, limit, cursor, spark: "true" })}`);

export interface SparkPage<T> extends Page<T> {
  sparkStep?: string;
}

export interface TopItem {
  route?: string;
  method?: string;
  consumerId?: string | null;
  requests: number;
  errorRate: number | null;
  p95: number | null;
}

/** GET /api/v1/routes/detail and /api/v1/consumers/detail. */
export interface Detail {
  window: string;
  from: string;
  to: string;
  route?: string;
  method?: string;
  consumerId?: string;
  totals: Totals;
  statusClasses: Record<string, number>;
  top: { of: "consumers" | "routes"; coveredFrom: string; complete: boolean; items: TopItem[] };
  environments: string[];
}

export const getRouteDetail = (s: TrafficScope) =>
  api<Detail>(`/api/v1/routes/detail${query({ window: s.window, to: s.to, environment: s.environment, route: s.route, method: s.method })}`);

export const getConsumerDetail = (s: TrafficScope) =>
  api<Detail>(`/api/v1/consumers/detail${query({ window: s.window, to: s.to, environment: s.environment, consumerId: s.consumerId })}`);

/** A stored event as GET /api/v1/events answers it. */
export interface StoredEvent {
  id: string;
  eventId?: string | null;
  timestamp: string;
  method: string;
  path: string;
  route: string;
  statusCode: number;
  latencyMs: number;
  requestBytes?: number | null;
  responseBytes?: number | null;
  consumerId?: string | null;
  environment: string;
  attributes?: Record<string, string> | null;
  receivedAt: string;
}

export interface EventFilters {
  route?: string;
  method?: string;
  status?: string;
  consumerId?: string;
  environment?: string;
  minLatencyMs?: string;
}

export const getEvents = (f: EventFilters, limit: number, cursor?: string) =>
  api<{ items: StoredEvent[]; next: string | null }>(`/api/v1/events${query({ ...f, limit, cursor })}`);

/** GET /api/v1/dashboard/insights: the window's largest changes against the same window on the previous days. */
export type InsightMetric = "request_count" | "error_rate" | "latency_avg";

export interface InsightTotal {
  metric: InsightMetric;
  before: number;
  now: number;
  change: number;
}

/** A route or consumer and its part in the API's change: the same split as an anomaly's contributors. */
export interface InsightChange extends AnomalyContributor {
  metric: InsightMetric;
  dimension: "route" | "consumerId";
}

export interface Insights {
  window: string;
  from: string;
  to: string;
  environment: string | null;
  references: string[];
  totals: InsightTotal[];
  changes: InsightChange[];
  note: string | null;
}

/** The windows insights compare (at most a day); a longer overview window is compared over its last day. */
export const INSIGHT_WINDOWS = ["5m", "15m", "1h", "6h", "24h"];

export const getInsights = (s: TrafficScope) =>
  api<Insights>(`/api/v1/dashboard/insights${query({ window: s.window, to: s.to, environment: s.environment })}`);
