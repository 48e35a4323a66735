// The SLO routes of Functions.Alerts (docs/ALERTING.md has the formulas).

import { alertsBase, api } from "./api";

const get = <T>(path: string) => api<T>(path, { base: alertsBase() });
const send = <T>(method: string, path: string, body?: unknown) => api<T>(path, { method, body, base: alertsBase() });

export interface SloStatus {
  from: string;
  to: string;
  requests: number;
  bad: number;
  attainment: number | null;
  errorBudget: { total: number; consumed: number; remaining: number; remainingRatio: number | null };
  burnRate: number | null;
  exhaustsAt: string | null;
  exhausted: boolean;
  breaching: boolean;
}

export interface SloBody {
  name: string;
  filters: { route?: string; method?: string; consumerId?: string; environment?: string };
  sli: { type: "availability" | "latency"; thresholdMs?: number };
  objective: number;
  window: "7d" | "28d" | "30d";
  perConsumer?: { top?: number } | null;
}

export interface Slo extends SloBody {
  id: string;
  createdAt: string;
  updatedAt: string;
  status?: SloStatus | null;
}

export interface SloPoint {
  ts: string;
  requests: number;
  bad: number;
  budgetRemainingRatio: number | null;
}

export interface SloConsumer {
  consumerId: string;
  requests: number;
  bad: number;
  attainment: number | null;
  budgetRemainingRatio: number | null;
  breaching: boolean;
}

export const listSlos = () => get<{ items: Slo[] }>("/api/v1/slos");
export const getSlo = (id: string) => get<Slo>(`/api/v1/slos/${encodeURIComponent(id)}`);
export const getSloSeries = (id: string, step: "1h" | "1d") => get<{ points: SloPoint[] }>(`/api/v1/slos/${encodeURIComponent(id)}/series?step=${step}`);
export const getSloConsumers = (id: string) => get<{ items: SloConsumer[]; breaching: number }>(`/api/v1/slos/${encodeURIComponent(id)}/consumers`);
export const createSlo = (body: SloBody) => send<Slo>("POST", "/api/v1/slos", body);
export const deleteSlo = (id: string) => send<unknown>("DELETE", `/api/v1/slos/${encodeURIComponent(id)}`);
