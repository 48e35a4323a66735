// The SignalR connection to the tenant's live stream. Negotiates through the
// API (POST /api/negotiate → {url, accessToken} of the SignalR Service),
// reconnects automatically, and when that gives up negotiates afresh with
// backoff. Service tokens are short-lived (10 minutes) and every reconnect
// asks the API for a new one: the server closes a member's connections when
// their membership or role changes, and only a fresh negotiate, which checks
// the membership, may bring them back.

import * as signalR from "@microsoft/signalr";
import { api, ApiError, type Alert } from "./api";

export type LiveStatus = "connecting" | "live" | "offline";

export interface LiveEvent {
  eventId?: string;
  timestamp: string;
  method: string;
  path: string;
  route?: string;
  statusCode: number;
  latencyMs: number;
  consumerId?: string | null;
  environment?: string;
  requestBytes?: number | null;
  responseBytes?: number | null;
  attributes?: Record<string, string> | null;
  receivedAt?: string;
}

export interface MetricsTick {
  ts: string | number;
  requests: number;
  errors: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface LiveHandlers {
  status(s: LiveStatus): void;
  events(batch: LiveEvent[]): void;
  metrics(tick: MetricsTick): void;
  alert(a: Alert): void;
  /** The connection is (re)established after a gap: reload what may have been missed. */
  resynced(): void;
}

interface NegotiateResponse {
  url: string;
  accessToken: string;
}

/** Delays between SignalR's own reconnect attempts (ms); then it closes and we renegotiate. */
const RECONNECT_DELAYS = [0, 2000, 5000, 10000];
/** Delays between fresh negotiations after a close (ms), the last one repeating. */
const RENEGOTIATE_DELAYS = [1000, 2000, 5000, 10000, 20000, 30000];
/**
 * How long a negotiated Service token is reused (ms). One connection start
 * asks for the token twice (the Service's negotiate, then the transport), so
 * it is kept briefly; any later start negotiates again.
 */
const TOKEN_REUSE_MS = 30_000;

export class LiveClient {
  private conn: signalR.HubConnection | null = null;
  private generation = 0;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private everConnected = false;
  private readonly onOnline = () => {
    if (this.running && this.conn === null) this.connectSoon(0);
  };
  private running = false;

  constructor(private readonly on: LiveHandlers) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.everConnected = false;
    this.attempt = 0;
    window.addEventListener("online", this.onOnline);
    void this.connect(++this.generation);
  }

  stop(): void {
    this.running = false;
    this.generation++;
    window.removeEventListener("online", this.onOnline);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const conn = this.conn;
    this.conn = null;
    if (conn) void conn.stop().catch(() => undefined);
    this.on.status("offline");
  }

  private connectSoon(delayMs: number): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const gen = ++this.generation;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect(gen);
    }, delayMs);
  }

  private scheduleRenegotiate(): void {
    if (!this.running) return;
    const base = RENEGOTIATE_DELAYS[Math.min(this.attempt, RENEGOTIATE_DELAYS.length - 1)]!;
    this.attempt++;
    this.connectSoon(base + Math.random() * 500);
  }

  private async connect(gen: number): Promise<void> {
    if (!this.running || gen !== this.generation) return;
    this.on.status("connecting");
    let conn: signalR.HubConnection | null = null;
    try {
      const info = await api<NegotiateResponse>("/api/negotiate", { method: "POST" });
      if (gen !== this.generation) return;
      if (!info?.url) throw new Error("negotiate returned no url");

      // The first start uses the token just negotiated; a reconnect (after the
      // server closed the connection, or a network drop) negotiates again with
      // the session's current access token instead of reusing the old one.
      let token = { value: info.accessToken, at: Date.now() };
      let renew = false;
      const accessTokenFactory = async (): Promise<string> => {
        if (renew || Date.now() - token.at > TOKEN_REUSE_MS) {
          const next = await api<NegotiateResponse>("/api/negotiate", { method: "POST" });
          if (!next?.accessToken) throw new Error("negotiate returned no access token");
          token = { value: next.accessToken, at: Date.now() };
          renew = false;
        }
        return token.value;
      };

      conn = new signalR.HubConnectionBuilder()
        .withUrl(info.url, { accessTokenFactory })
        .withAutomaticReconnect(RECONNECT_DELAYS)
        .configureLogging(signalR.LogLevel.Warning)
        .build();

      conn.on("events", (batch: unknown) => {
        if (Array.isArray(batch)) this.on.events(batch as LiveEvent[]);
        else if (batch && typeof batch === "object") this.on.events([batch as LiveEvent]);
      });
      conn.on("metrics", (tick: unknown) => {
        if (Array.isArray(tick)) for (const t of tick) this.on.metrics(t as MetricsTick);
        else if (tick && typeof tick === "object") this.on.metrics(tick as MetricsTick);
      });
      conn.on("alert", (a: unknown) => {
        if (a && typeof a === "object") this.on.alert(a as Alert);
      });

      const c = conn;
      c.onreconnecting(() => {
        renew = true;
        if (gen === this.generation) this.on.status("connecting");
      });
      c.onreconnected(() => {
        if (gen !== this.generation) return;
        this.on.status("live");
        this.on.resynced();
      });
      c.onclose(() => {
        if (gen !== this.generation || this.conn !== c) return;
        this.conn = null;
        this.on.status("offline");
        this.scheduleRenegotiate();
      });

      this.conn = conn;
      await conn.start();
      if (gen !== this.generation) {
        void conn.stop().catch(() => undefined);
        return;
      }
      this.attempt = 0;
      this.on.status("live");
      if (this.everConnected) this.on.resynced();
      this.everConnected = true;
    } catch (err) {
      if (gen !== this.generation) return;
      if (conn && this.conn === conn) this.conn = null;
      if (err instanceof ApiError && err.unauthorized) return; // back at the login screen
      console.warn("PulseStream live connection failed:", err);
      this.on.status("offline");
      this.scheduleRenegotiate();
    }
  }
}
