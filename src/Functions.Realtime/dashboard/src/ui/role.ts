// The caller's role, as login gave it. Views show only the actions the role
// may take (a Viewer sees no button that would answer 403); the API checks
// the role again on every call.

import { createContext } from "preact";
import { useContext } from "preact/hooks";

export type Role = "viewer" | "admin" | "owner";

const RANK: Record<string, number> = { viewer: 0, admin: 1, owner: 2 };

export const RoleContext = createContext<string>("viewer");

/** True when `role` includes the rights of `needed`. */
export function allows(role: string, needed: Role): boolean {
  return (RANK[role?.toLowerCase?.()] ?? -1) >= RANK[needed]!;
}

export function useRole(): { role: string; isAdmin: boolean } {
  const role = useContext(RoleContext);
  return { role, isAdmin: allows(role, "admin") };
}
