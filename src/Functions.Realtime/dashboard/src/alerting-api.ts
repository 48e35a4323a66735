// The alerting routes of Functions.Alerts (alerts, rules, channels,
// deliveries) and their shapes, as docs/API.md describes them.

import { alertsBase, api, type Alert } from "./api";

const q = (params: Record<string, string | number | null | undefined>): string => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v != null && v !== "") s.set(k, String(v));
  const text = s.toString();
  return text ? `?${text}` : "";
};
const id = (v: string) => encodeURIComponent(v);
const get = <T>(path: string) => api<T>(path, { base: alertsBase() });
const send = <T>(method: string, path: string, body?: unknown) => api<T>(path, { method, body, base: alertsBase() });

export interface Page<T> {
  items: T[];
  next?: string | null;
}

// ---- alerts ------------------------------------------------------------------

export interface Person {
  userId: string;
  email: string;
}

/** What mutes an open alert now: a silence or a maintenance window, and until when. */
export interface Muting {
  kind: "silence" | "maintenance" | string;
  id: string;
  until: string;
}

export interface AlertItem extends Alert {
  group: string | null;
  silenced?: Muting | null;
  /** Changing state too often (the rule's flapDetection): one open incident, notified once that it flaps. */
  flapping?: boolean;
  flappingSince?: string | null;
  firingAt?: string | null;
  acknowledgedAt?: string | null;
  acknowledgedBy?: Person | null;
  resolvedAt?: string | null;
  resolvedBy?: Person | null;
  resolvedReason?: string | null;
  /** An anomaly alert's reasons, written when it fired; null for other rules. */
  explanation?: AnomalyExplanation | null;
}

/** A route (with its method) or consumer and its part in an anomaly's change; a null value: requests without a consumer. */
export interface AnomalyContributor {
  dimension: "route" | "consumerId" | string;
  value: string | null;
  method?: string;
  before: number | null;
  now: number | null;
  contribution: number;
  share: number | null;
  requests: number;
  requestsBefore: number;
}

/** Why an anomaly alert fired: its band, how far outside, and what moved most against the same window in earlier seasons. */
export interface AnomalyExplanation {
  metric: string;
  seasonality: "daily" | "weekly" | "none" | string;
  from: string;
  to: string;
  expected: number | null;
  lower: number | null;
  upper: number | null;
  observed: number;
  sigmas: number | null;
  direction: "above" | "below" | string;
  comparison: { basis: string; windows: string[]; before: number; now: number; change: number } | null;
  contributors: AnomalyContributor[];
  note: string | null;
}

export interface TimelineEntry {
  at: string;
  kind: "transition" | "ack" | "resolve" | "rule" | "notification" | string;
  state?: string | null;
  value?: number | null;
  actor?: string | Person | null;
  message?: string | null;
  deliveryId?: string | null;
  channelId?: string | null;
  deliveryState?: string | null;
}

export interface AlertDetail extends AlertItem {
  timeline: TimelineEntry[];
}

export interface AlertFilters {
  state?: string;
  severity?: string;
  ruleId?: string;
  since?: string;
  cursor?: string;
  limit?: number;
}

export const listAlerts = (f: AlertFilters) => get<Page<AlertItem>>(`/api/v1/alerts${q({ ...f })}`);
export const getAlert = (alertId: string) => get<AlertDetail>(`/api/v1/alerts/${id(alertId)}`);
export const ackAlert = (alertId: string) => send<AlertItem>("POST", `/api/v1/alerts/${id(alertId)}/ack`);
export const resolveAlert = (alertId: string) => send<AlertItem>("POST", `/api/v1/alerts/${id(alertId)}/resolve`);

export interface Durations {
  mean: number | null;
  p50: number | null;
  p90: number | null;
  count: number;
}

export interface AlertSummary {
  window: string;
  byState: Record<string, number>;
  bySeverity: Record<string, number>;
  open: number;
  oldestUnacknowledged: { id: string; ruleName: string; since: string } | null;
  mtta: Durations;
  mttr: Durations;
  noisiestRules: { ruleId: string; ruleName: string; alerts: number }[];
}

export const getAlertSummary = (window: string) => get<AlertSummary>(`/api/v1/alerts/summary${q({ window })}`);

// ---- rules -------------------------------------------------------------------

export const CONDITION_TYPES = [
  ["threshold", "threshold"],
  ["burn_rate", "SLO burn rate"],
  ["anomaly", "anomaly (seasonal baseline)"],
] as const;
export const SENSITIVITIES = ["low", "medium", "high"] as const;
export const DIRECTIONS = ["both", "above", "below"] as const;
/** How much history a group needs before an anomaly rule judges it by the hour of the day, and by the hour of the week. */
export const ANOMALY_WARM_UP = { daily: "3 days", weekly: "3 weeks" } as const;
export const BURN_LEVELS = ["page", "ticket"] as const;

/**
 * The workbook's window pairs per burn-rate level: long and short window in hours and the share of the budget the
 * long window spends at the pair's factor (factor = share × SLO window / long window).
 */
export const BURN_PAIRS: Record<string, { long: number; short: number; share: number }[]> = {
  page: [{ long: 1, short: 5 / 60, share: 0.02 }, { long: 6, short: 0.5, share: 0.05 }],
  ticket: [{ long: 72, short: 6, share: 0.1 }],
};

export interface RuleCondition {
  type: "threshold" | "burn_rate" | "anomaly";
  /** Derived for a burn-rate condition (`burn_rate >= 1` over its shortest window); sent back as read or left out. */
  metric?: string;
  operator?: string;
  threshold?: number;
  window?: string;
  /** A burn-rate condition's SLO and level. */
  sloId?: string | null;
  level?: string | null;
  filters?: { route?: string | null; method?: string | null; environment?: string | null; consumerId?: string | null } | null;
  groupBy?: string[] | null;
  minRequests?: number | null;
  /** Hysteresis: a firing alert resolves only once the value is past this on the recovering side. */
  recoveryThreshold?: number | null;
  /** An anomaly condition's band width and direction, and the static threshold for groups still warming up. */
  sensitivity?: string | null;
  direction?: string | null;
  fallback?: { operator: string; threshold: number } | null;
}

export const NO_DATA = ["ok", "alerting", "keepState"] as const;

/** Flap detection: more than `changes` state changes within `within` mark the alert group flapping. */
export interface FlapDetection {
  changes: number;
  within: string;
}

export interface RuleBody {
  name: string;
  enabled: boolean;
  severity: string;
  condition: RuleCondition;
  for: string | null;
  channelIds: string[];
  escalationPolicyId?: string | null;
  keepFiringFor?: string | null;
  noData?: string | null;
  noDataFor?: string | null;
  groupWait?: string | null;
  groupInterval?: string | null;
  repeatInterval?: string | null;
  flapDetection?: FlapDetection | null;
}

export interface RuleEvaluation {
  lastEvaluatedAt: string | null;
  groups: number;
  groupLimit: number;
  groupLimitHit: boolean;
  lastError: string | null;
}

export interface Rule extends RuleBody {
  id: string;
  createdAt: string;
  updatedAt: string;
  evaluation?: RuleEvaluation | null;
}

export const METRICS = ["request_count", "error_rate", "client_error_rate", "latency_avg", "latency_p50", "latency_p95", "latency_p99"];
export const OPERATORS = [">", ">=", "<", "<="];
export const SEVERITIES = ["critical", "warning", "info"];
export const GROUP_BY = ["route", "method", "environment", "consumerId"];

export const listRules = () => get<Page<Rule>>("/api/v1/alert-rules");
export const getRule = (ruleId: string) => get<Rule>(`/api/v1/alert-rules/${id(ruleId)}`);
export const createRule = (body: RuleBody) => send<Rule>("POST", "/api/v1/alert-rules", body);
export const updateRule = (ruleId: string, body: RuleBody) => send<Rule>("PUT", `/api/v1/alert-rules/${id(ruleId)}`, body);
export const deleteRule = (ruleId: string) => send<void>("DELETE", `/api/v1/alert-rules/${id(ruleId)}`);
export const setRuleEnabled = (ruleId: string, enabled: boolean) =>
  send<Rule>("POST", `/api/v1/alert-rules/${id(ruleId)}/${enabled ? "enable" : "disable"}`);

/** One group's baseline (GET /api/v1/alert-rules/{id}/baselines): how much history it has and what it is judged by. */
export interface GroupBaseline {
  group: string;
  status: "warming-up" | "daily" | "weekly";
  historyFrom: string;
  dailyFrom: string;
  weeklyFrom: string;
  computedAt: string;
  samples: number;
}

export interface RuleBaselines {
  ruleId: string;
  metric: string;
  dailyWarmUp: string;
  weeklyWarmUp: string;
  refreshed: string;
  maxGroups: number;
  groups: GroupBaseline[];
}

export const getRuleBaselines = (ruleId: string) => get<RuleBaselines>(`/api/v1/alert-rules/${id(ruleId)}/baselines`);

export interface PreviewInterval {
  state: "pending" | "firing";
  from: string;
  to: string;
  /** Still open at the end of the range (`to` is then the range's end). */
  ongoing?: boolean;
}

export interface PreviewBand {
  status: "daily" | "weekly" | "warming-up";
  expected: number | null;
  lower: number | null;
  upper: number | null;
  observed: number | null;
}

export interface PreviewGroup {
  group: string | null;
  /** For an anomaly rule the value is the score, and the band is in the metric's units. */
  points: { ts: string; value: number | null; band?: PreviewBand }[];
  intervals: PreviewInterval[];
}

export interface RulePreview {
  threshold: number;
  step: string;
  groups: PreviewGroup[];
}

/** Over the past `range` (1h-7d) at the evaluation step; a week at 5-minute steps keeps within the point bound. */
export const previewRule = (body: RuleBody, range: string) =>
  send<RulePreview>("POST", `/api/v1/alert-rules/preview${q({ range, step: range === "7d" ? "5m" : null })}`, body);

// ---- channels ----------------------------------------------------------------

export const CHANNEL_TYPES = ["webhook", "slack", "teams", "pagerduty", "email"] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

export interface ChannelBody {
  type: ChannelType;
  name: string;
  url?: string;
  routingKey?: string;
  recipients?: string[];
}

export interface ChannelHealth {
  lastSuccessAt?: string | null;
  consecutiveFailures?: number | null;
  failingSince?: string | null;
  disabledAt?: string | null;
  disabledReason?: string | null;
}

export interface Channel extends ChannelHealth {
  id: string;
  type: ChannelType;
  name: string;
  url?: string | null;
  routingKey?: string | null;
  recipients?: string[] | null;
  createdAt?: string;
  /** Health, when the API nests it; the same fields may also be on the channel itself. */
  health?: ChannelHealth | null;
  /** Only in the answer to a create or a rotation, shown once. */
  secret?: string | null;
}

export const listChannels = () => get<Page<Channel>>("/api/v1/channels");
export const createChannel = (body: ChannelBody) => send<Channel>("POST", "/api/v1/channels", body);
export const updateChannel = (channelId: string, body: ChannelBody) => send<Channel>("PUT", `/api/v1/channels/${id(channelId)}`, body);
export const deleteChannel = (channelId: string) => send<void>("DELETE", `/api/v1/channels/${id(channelId)}`);
export const testChannel = (channelId: string) => send<Record<string, unknown>>("POST", `/api/v1/channels/${id(channelId)}/test`);
export const rotateChannelSecret = (channelId: string) => send<Channel>("POST", `/api/v1/channels/${id(channelId)}/rotate-secret`);

/** A channel's health, wherever the API put it. */
export function healthOf(c: Channel): ChannelHealth {
  return { ...c, ...(c.health ?? {}) };
}

// ---- deliveries --------------------------------------------------------------

export interface DeliveryAttempt {
  at: string;
  statusCode: number | null;
  latencyMs: number | null;
  error: string | null;
}

export interface Delivery {
  id: string;
  alertId: string | null;
  channelId: string;
  eventType?: string;
  state: string;
  createdAt?: string;
  deliveredAt?: string | null;
  nextAttemptAt?: string | null;
  attempts: DeliveryAttempt[];
}

export const listDeliveries = (f: { alertId?: string; channelId?: string; state?: string }) =>
  get<Page<Delivery>>(`/api/v1/deliveries${q(f)}`);
export const retryDelivery = (deliveryId: string) => send<Delivery>("POST", `/api/v1/deliveries/${id(deliveryId)}/retry`);

// ---- silences ----------------------------------------------------------------

export const MATCHER_NAMES = ["rule", "severity", "route", "method", "consumerId", "environment", "group"];
export const MATCHER_OPS = ["=", "!=", "=~", "!~"];

export interface Matcher {
  name: string;
  op: string;
  value: string;
}

export interface SilenceBody {
  matchers: Matcher[];
  startsAt?: string | null;
  endsAt: string;
  comment: string;
  expireOnResolve: boolean;
}

export interface Silence extends SilenceBody {
  id: string;
  state: "pending" | "active" | "expired" | string;
  createdBy: Person | null;
  createdAt: string;
  updatedAt: string;
  expiredBy?: Person | null;
}

export const listSilences = () => get<Page<Silence>>("/api/v1/silences");
export const createSilence = (body: SilenceBody) => send<Silence>("POST", "/api/v1/silences", body);
export const expireSilence = (silenceId: string) => send<void>("DELETE", `/api/v1/silences/${id(silenceId)}`);
export const previewSilence = (matchers: Matcher[]) => send<{ matched: number; items: AlertItem[] }>("POST", "/api/v1/silences/preview", { matchers });

// ---- maintenance windows -----------------------------------------------------

export interface MaintenanceWindowBody {
  name: string;
  rrule: string;
  /** The first occurrence's local date-time in timeZone, yyyy-MM-ddTHH:mm:ss. */
  start: string;
  duration: string;
  timeZone: string;
  exceptions: string[];
  matchers: Matcher[];
  summaryAtEnd: boolean;
}

export interface Occurrence {
  start: string;
  end: string;
}

export interface MaintenanceWindow extends MaintenanceWindowBody {
  id: string;
  createdBy: Person | null;
  createdAt: string;
  updatedAt: string;
  currentOccurrence: Occurrence | null;
  nextOccurrence: Occurrence | null;
}

export const listMaintenanceWindows = () => get<Page<MaintenanceWindow>>("/api/v1/maintenance-windows");
export const createMaintenanceWindow = (body: MaintenanceWindowBody) => send<MaintenanceWindow>("POST", "/api/v1/maintenance-windows", body);
export const deleteMaintenanceWindow = (windowId: string) => send<void>("DELETE", `/api/v1/maintenance-windows/${id(windowId)}`);
export const listOccurrences = (windowId: string, from: string, to: string) =>
  get<{ items: Occurrence[] }>(`/api/v1/maintenance-windows/${id(windowId)}/occurrences${q({ from, to })}`);

// ---- escalation policies -----------------------------------------------------

export interface EscalationStep {
  /** How long the alert has gone unacknowledged since the step before (the first: since it fired), e.g. "5m". */
  delay: string;
  channelIds: string[];
  userIds: string[];
}

export interface EscalationPolicyBody {
  name: string;
  steps: EscalationStep[];
  repeat: number;
  ackTimeout: string | null;
}

export interface EscalationPolicy extends EscalationPolicyBody {
  id: string;
  createdAt: string;
  updatedAt: string;
}

export const listEscalationPolicies = () => get<Page<EscalationPolicy>>("/api/v1/escalation-policies");
export const getEscalationPolicy = (policyId: string) => get<EscalationPolicy>(`/api/v1/escalation-policies/${id(policyId)}`);
export const createEscalationPolicy = (body: EscalationPolicyBody) => send<EscalationPolicy>("POST", "/api/v1/escalation-policies", body);
export const updateEscalationPolicy = (policyId: string, body: EscalationPolicyBody) =>
  send<EscalationPolicy>("PUT", `/api/v1/escalation-policies/${id(policyId)}`, body);
export const deleteEscalationPolicy = (policyId: string) => send<void>("DELETE", `/api/v1/escalation-policies/${id(policyId)}`);

// ---- members (Functions.Realtime) --------------------------------------------

export interface Member {
  id: string;
  email: string;
  role: string;
  status: string;
}

export const listMembers = () => api<Page<Member>>("/api/v1/users");
