// Fetch wrapper for the PulseStream API: bearer token, JSON in and out,
// RFC 9457 problem+json errors turned into readable ApiErrors, one token
// refresh on 401 and then back to the login screen.

/** RFC 9457 problem details as the API sends them. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: unknown;
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem | undefined;
  /** True when the 401 already sent the user back to the login screen. */
  readonly unauthorized: boolean;

  constructor(message: string, status: number, problem?: Problem, unauthorized = false) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
    this.unauthorized = unauthorized;
  }
}

/** The text to show a person for any error. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

interface AuthHooks {
  /** The current access token, or null when signed out. */
  token(): string | null;
  /** Try to get a new access token; true when it worked. */
  refresh(): Promise<boolean>;
  /** The session is over: show the login screen. */
  unauthorized(): void;
}

let hooks: AuthHooks = {
  token: () => null,
  refresh: async () => false,
  unauthorized: () => undefined,
};

export function configureAuth(h: AuthHooks): void {
  hooks = h;
}

function meta(name: string): string {
  const el = document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`);
  return (el?.content ?? "").trim().replace(/\/+$/, "");
}

/**
 * Where the API lives. Empty (same origin, the default: the local host and
 * Functions.Realtime serve both) unless index.html sets
 * <meta name="pulse-api-base"> or, for the alert routes served by
 * Functions.Alerts on its own host, <meta name="pulse-alerts-base">.
 */
export function apiBase(): string {
  return meta("pulse-api-base");
}

export function alertsBase(): string {
  return meta("pulse-alerts-base") || apiBase();
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  /** Send the session's bearer token and handle 401 by refresh/login (default true). */
  auth?: boolean;
  /** An explicit bearer token (with auth: false), e.g. for logout. */
  bearer?: string;
  /** Origin/prefix to put before the path; default apiBase(). */
  base?: string;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 15_000;

async function readProblem(res: Response): Promise<Problem | undefined> {
  const type = res.headers.get("content-type") ?? "";
  if (!type.includes("json")) return undefined;
  try {
    const body: unknown = await res.json();
    return body && typeof body === "object" ? (body as Problem) : undefined;
  } catch {
    return undefined;
  }
}

function problemMessage(res: Response, problem: Problem | undefined): string {
  const detail = problem?.detail?.trim();
  const title = problem?.title?.trim();
  if (detail) return detail;
  if (title) return title;
  return `Request failed (HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""})`;
}

async function send(path: string, opts: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json, application/problem+json" };
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  if (opts.bearer) {
    headers["Authorization"] = `Bearer ${opts.bearer}`;
  } else if (opts.auth !== false) {
    const token = hooks.token();
    if (token) headers["Authorization"] = `Bearer ${token}`;
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  try {
    return await fetch(`${opts.base ?? apiBase()}${path}`, {
      method: opts.method ?? "GET",
      headers,
      body: opts.body === undefined ? null : JSON.stringify(opts.body),
      credentials: "same-origin",
      cache: "no-store",
      signal: controller.signal,
    });
  } catch (err) {
    const aborted = err instanceof DOMException && err.name === "AbortError";
    throw new ApiError(
      aborted ? "The server did not answer in time." : "Cannot reach the PulseStream server (network error).",
      0,
    );
  } finally {
    clearTimeout(timer);
  }
}

/** Calls the API and returns the parsed JSON body (undefined for 204). */
export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  let res = await send(path, opts);

  if (res.status === 401 && opts.auth !== false) {
    if (await hooks.refresh()) res = await send(path, opts);
    if (res.status === 401) {
      const problem = await readProblem(res);
      hooks.unauthorized();
      throw new ApiError(problemMessage(res, problem), 401, problem, true);
    }
  }

  if (!res.ok) {
    const problem = await readProblem(res);
    throw new ApiError(problemMessage(res, problem), res.status, problem);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  if (text === "") return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError("The server sent a response that is not JSON.", res.status);
  }
}

// ---- API shapes (camelCase JSON) -------------------------------------------

export interface LoginResponse {
  accessToken: string;
  refreshToken?: string;
  expiresIn: number;
  tenantId: string;
  role: string;
}

export interface Alert {
  id: string;
  ruleId: string;
  ruleName: string;
  state: "pending" | "firing" | "acknowledged" | "resolved" | string;
  severity: string;
  startedAt: string;
  value: number | null;
  group: unknown;
}

/** One tier of GET /api/v1/settings/retention. */
export interface RetentionTier {
  days: number;
  defaultDays: number;
  overridden: boolean;
  minDays: number;
  maxDays: number;
}

export type RetentionSettings = Record<"raw" | "minute" | "hour" | "day" | "audit", RetentionTier>;

export const getRetention = () => api<RetentionSettings>("/api/v1/settings/retention");

export const getFiringAlerts = () =>
  api<{ items: Alert[] }>("/api/v1/alerts?state=firing", { base: alertsBase() });

export const acknowledgeAlert = (id: string) =>
  api<unknown>(`/api/v1/alerts/${encodeURIComponent(id)}/ack`, { method: "POST", base: alertsBase() });
