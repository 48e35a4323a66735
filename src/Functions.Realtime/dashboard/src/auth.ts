// Login form, the session (kept in sessionStorage: one browser tab, gone when
// the tab closes), token refresh and logout.

import { api, ApiError, configureAuth, describeError, type LoginResponse } from "./api";
import { byId } from "./dom";

export interface Session {
  accessToken: string;
  refreshToken: string | null;
  /** Epoch milliseconds when the access token expires. */
  expiresAt: number;
  tenantId: string;
  role: string;
  email: string;
}

const STORAGE_KEY = "pulsestream.session";

let current: Session | null = null;
let refreshing: Promise<boolean> | null = null;
let onSessionEnded: (message: string, email: string) => void = () => undefined;

function toSession(res: LoginResponse, email: string, previous?: Session | null): Session {
  const expiresIn = Number.isFinite(res.expiresIn) && res.expiresIn > 0 ? res.expiresIn : 900;
  return {
    accessToken: res.accessToken,
    refreshToken: res.refreshToken ?? previous?.refreshToken ?? null,
    expiresAt: Date.now() + expiresIn * 1000,
    tenantId: res.tenantId ?? previous?.tenantId ?? "",
    role: res.role ?? previous?.role ?? "",
    email,
  };
}

function store(s: Session | null): void {
  current = s;
  try {
    if (s) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(s));
    else sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage unavailable (private mode quotas): the session lives in memory only.
  }
}

export function getSession(): Session | null {
  return current;
}

/** The stored session, if any (expired access tokens are refreshed on first use). */
export function restoreSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    if (typeof s?.accessToken !== "string" || s.accessToken === "") return null;
    if (s.expiresAt <= Date.now() && !s.refreshToken) {
      sessionStorage.removeItem(STORAGE_KEY);
      return null;
    }
    current = s;
    return s;
  } catch {
    return null;
  }
}

export async function login(email: string, password: string): Promise<Session> {
  const res = await api<LoginResponse>("/api/v1/auth/login", {
    method: "POST",
    body: { email, password },
    auth: false,
  });
  if (!res || typeof res.accessToken !== "string") {
    throw new ApiError("The server's login answer has no access token.", 200);
  }
  const s = toSession(res, email);
  store(s);
  return s;
}

/**
 * Trades the refresh token for a new pair. Refresh tokens rotate and reuse
 * revokes the whole family, so concurrent callers share one request.
 */
function refresh(): Promise<boolean> {
  if (refreshing) return refreshing;
  const s = current;
  if (!s?.refreshToken) return Promise.resolve(false);
  refreshing = (async () => {
    try {
      const res = await api<LoginResponse>("/api/v1/auth/refresh", {
        method: "POST",
        body: { refreshToken: s.refreshToken },
        auth: false,
      });
      if (current !== s || !res?.accessToken) return false;
      store(toSession(res, s.email, s));
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** Revokes the refresh token family (best effort) and forgets the session. */
export async function logout(): Promise<void> {
  const s = current;
  store(null);
  if (!s) return;
  try {
    await api<unknown>("/api/v1/auth/logout", {
      method: "POST",
      body: s.refreshToken ? { refreshToken: s.refreshToken } : {},
      auth: false,
      bearer: s.accessToken, // the session is already forgotten locally
      timeoutMs: 5000,
    });
  } catch {
    // Logging out locally is what matters; the server call is a courtesy.
  }
}

// Wire the API module to this session.
configureAuth({
  token: () => current?.accessToken ?? null,
  refresh,
  unauthorized: () => {
    const ended = current;
    if (!ended) return;
    store(null);
    onSessionEnded("Your session has expired. Please sign in again.", ended.email);
  },
});

/** Called when a 401 ends the session; the app shows the login screen. */
export function onSessionEnd(handler: (message: string, email: string) => void): void {
  onSessionEnded = handler;
}

// ---- the login form --------------------------------------------------------

export function showLogin(message = "", email?: string): void {
  byId("dashboard").hidden = true;
  byId("login-view").hidden = false;
  const err = byId("login-error");
  err.textContent = message;
  err.hidden = message === "";
  const password = byId<HTMLInputElement>("login-password");
  password.value = "";
  const emailInput = byId<HTMLInputElement>("login-email");
  if (email && emailInput.value === "") emailInput.value = email;
  (emailInput.value ? password : emailInput).focus();
  document.title = "Sign in · PulseStream";
}

export function hideLogin(): void {
  byId("login-view").hidden = true;
}

export function mountLoginForm(onLoggedIn: (s: Session) => void): void {
  const form = byId<HTMLFormElement>("login-form");
  const email = byId<HTMLInputElement>("login-email");
  const password = byId<HTMLInputElement>("login-password");
  const submit = byId<HTMLButtonElement>("login-submit");
  const error = byId("login-error");

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (submit.disabled) return;
    error.textContent = "";
    error.hidden = true;
    const addr = email.value.trim();
    if (addr === "" || password.value === "") {
      error.textContent = "Enter your email and password.";
      error.hidden = false;
      return;
    }
    submit.disabled = true;
    const label = submit.textContent;
    submit.textContent = "Signing in…";
    try {
      const s = await login(addr, password.value);
      password.value = "";
      onLoggedIn(s);
    } catch (err) {
      error.textContent =
        err instanceof ApiError && err.status === 401 && !err.problem
          ? "Invalid email or password."
          : describeError(err);
      error.hidden = false;
      password.value = "";
      password.focus();
    } finally {
      submit.disabled = false;
      submit.textContent = label;
    }
  });
}
