// The tenant-administration API behind the API keys, Members, Audit,
// Settings and Connections views.

import { api, type RetentionSettings } from "./api";
import { query } from "./traffic-api";

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  environments: string[] | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface CreatedApiKey extends ApiKey {
  /** The key itself: answered once, never again. */
  key: string;
}

export const listApiKeys = () => api<{ items: ApiKey[] }>("/api/v1/api-keys");
export const createApiKey = (name: string, environments: string[] | null) =>
  api<CreatedApiKey>("/api/v1/api-keys", { method: "POST", body: { name, environments } });
export const revokeApiKey = (id: string) => api<unknown>(`/api/v1/api-keys/${encodeURIComponent(id)}`, { method: "DELETE" });

export interface Member {
  id: string;
  email: string;
  role: string;
  status: string;
  createdAt: string;
}

export interface Invitation {
  id: string;
  email: string;
  role: string;
  status: string;
  inviteToken: string;
  inviteExpiresAt: string;
}

export const listMembers = () => api<{ items: Member[] }>("/api/v1/users");
export const inviteMember = (email: string, role: string) => api<Invitation>("/api/v1/users", { method: "POST", body: { email, role } });
export const changeRole = (id: string, role: string) => api<unknown>(`/api/v1/users/${encodeURIComponent(id)}`, { method: "PATCH", body: { role } });
export const removeMember = (id: string) => api<unknown>(`/api/v1/users/${encodeURIComponent(id)}`, { method: "DELETE" });

export interface AuditEntry {
  id: number;
  at: string;
  actorType: string;
  actorId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  summary: unknown;
  clientAddress: string | null;
}

export const listAudit = (f: { actor?: string; action?: string; before?: string }, limit = 50) =>
  api<{ items: AuditEntry[]; next: number | null }>(`/api/v1/audit${query({ ...f, limit })}`);

export const putRetention = (body: Partial<Record<"rawDays" | "minuteDays" | "hourDays" | "dayDays" | "auditDays", number | null>>) =>
  api<RetentionSettings>("/api/v1/settings/retention", { method: "PUT", body });

export interface Limits {
  limits: {
    eventsPerSecond: number;
    burst: number;
    maxBodyBytes: number;
    maxDecompressedBytes: number;
    maxBatchEvents: number;
    maxRoutes: number;
    maxConsumers: number;
    maxRules: number;
  };
  usage: { eventsPerSecond: number; peakEventsPerSecond: number; routes: number; consumers: number; rules: number };
  routes: { overflowEvents: number };
  consumers: { overflowEvents: number };
}

export const getLimits = () => api<Limits>("/api/v1/settings/limits");

export interface Connections {
  total: number;
  users: { userId: string; email: string; role: string; connections: number; since: string }[];
}

export const getConnections = () => api<Connections>("/api/v1/dashboard/connections");
