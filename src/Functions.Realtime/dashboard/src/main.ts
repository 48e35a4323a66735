// PulseStream dashboard: the login screen, then the navigation shell with
// its views; session.ts holds the live connection for the whole session.

import { logout, mountLoginForm, onSessionEnd, restoreSession, showLogin, type Session } from "./auth";
import { byId } from "./dom";
import { Dashboard } from "./session";
import { mountShell, unmountShell } from "./shell";

function boot(): void {
  const dashboard = new Dashboard();
  const start = (s: Session) => {
    dashboard.start(s);
    mountShell(s);
  };
  const stop = () => {
    unmountShell();
    dashboard.stop();
  };

  mountLoginForm(start);
  onSessionEnd((message, email) => {
    stop();
    showLogin(message, email);
  });

  byId("logout").addEventListener("click", async () => {
    stop();
    await logout();
    showLogin();
  });
  byId("app-error-close").addEventListener("click", () => dashboard.dismissError());

  const restored = restoreSession();
  if (restored) start(restored);
  else showLogin();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
else boot();
