// The navigation shell: one tab per view, the view the hash route names
// below it. The overview is the landing view (an empty or unknown route).

import { render } from "preact";
import type { Session } from "./auth";
import { hrefFor, useRoute, type Route } from "./router";
import { html } from "./ui/html";
import { useEffect, useState } from "preact/hooks";
import { TimeZoneToggle } from "./ui/pickers";
import { allows, RoleContext } from "./ui/role";
import { onTimeZoneChange, timeZone } from "./ui/timezone";
import { AlertsView } from "./views/AlertsView";
import { ApiKeysView } from "./views/ApiKeysView";
import { AuditView } from "./views/AuditView";
import { ConnectionsView } from "./views/ConnectionsView";
import { MembersView } from "./views/MembersView";
import { SettingsView } from "./views/SettingsView";
import { ChannelsView } from "./views/ChannelsView";
import { ConsumersView } from "./views/ConsumersView";
import { EscalationView } from "./views/EscalationView";
import { LiveView } from "./views/LiveView";
import { MaintenanceView } from "./views/MaintenanceView";
import { OverviewView } from "./views/OverviewView";
import { RoutesView } from "./views/RoutesView";
import { RulesView } from "./views/RulesView";
import { SilencesView } from "./views/SilencesView";
import { SlosView } from "./views/SlosView";

interface Tab {
  view: string;
  label: string;
  /** Hidden from roles below this one (the view would only answer 403). */
  role?: "admin";
}

const TABS: Tab[] = [
  { view: "overview", label: "Overview" },
  { view: "routes", label: "Routes" },
  { view: "consumers", label: "Consumers" },
  { view: "live", label: "Live" },
  { view: "alerts", label: "Alerts" },
  { view: "rules", label: "Rules" },
  { view: "slos", label: "SLOs" },
  { view: "channels", label: "Channels", role: "admin" },
  { view: "escalation", label: "Escalation", role: "admin" },
  { view: "silences", label: "Silences", role: "admin" },
  { view: "maintenance", label: "Maintenance" },
  { view: "keys", label: "API keys", role: "admin" },
  { view: "members", label: "Members", role: "admin" },
  { view: "audit", label: "Audit", role: "admin" },
  { view: "connections", label: "Connections", role: "admin" },
  { view: "settings", label: "Settings" },
];

function View({ route }: { route: Route }) {
  switch (route.view) {
    case "routes":
      return html`<${RoutesView} params=${route.params} />`;
    case "consumers":
      return html`<${ConsumersView} params=${route.params} />`;
    case "live":
      return html`<${LiveView} params=${route.params} />`;
    case "slos":
      return html`<${SlosView} params=${route.params} />`;
    case "keys":
      return html`<${ApiKeysView} />`;
    case "members":
      return html`<${MembersView} />`;
    case "audit":
      return html`<${AuditView} params=${route.params} />`;
    case "connections":
      return html`<${ConnectionsView} />`;
    case "settings":
      return html`<${SettingsView} />`;
    case "alerts":
      return html`<${AlertsView} params=${route.params} />`;
    case "rules":
      return html`<${RulesView} params=${route.params} />`;
    case "channels":
      return html`<${ChannelsView} params=${route.params} />`;
    case "maintenance":
      return html`<${MaintenanceView} params=${route.params} />`;
    case "escalation":
      return html`<${EscalationView} params=${route.params} />`;
    case "silences":
      return html`<${SilencesView} params=${route.params} />`;
    default:
      return html`<${OverviewView} params=${route.params} />`;
  }
}

function Shell({ role }: { role: string }) {
  const route = useRoute();
  const known = TABS.some((t) => t.view === route.view);
  const active = known ? route.view : "overview";
  // A new time zone re-mounts the view (its key), so every time it formats follows.
  const [tz, setTz] = useState(timeZone);
  useEffect(() => onTimeZoneChange(setTz), []);
  return html`<${RoleContext.Provider} value=${role}>
    <nav class="tabs" id="nav" aria-label="Views">
      ${TABS.filter((t) => !t.role || allows(role, t.role)).map(
        (t) => html`<a href=${hrefFor(t.view)} class=${`tab ${t.view === active ? "active" : ""}`} data-view=${t.view}
            aria-current=${t.view === active ? "page" : null}>${t.label}</a>`,
      )}
      <span class="tabs-end"><${TimeZoneToggle} /></span>
    </nav>
    <div id="view" data-view=${active} class="content">
      <${View} key=${tz} route=${known ? route : { view: "overview", params: {} }} />
    </div>
  <//>`;
}

/** Mounts the shell for a session (again at every login: the role may differ). */
export function mountShell(session: Session): void {
  const root = document.getElementById("app-shell");
  if (!root) throw new Error("#app-shell is missing from index.html");
  render(null, root);
  render(html`<${Shell} role=${session.role} />`, root);
}

export function unmountShell(): void {
  const root = document.getElementById("app-shell");
  if (root) render(null, root);
}
