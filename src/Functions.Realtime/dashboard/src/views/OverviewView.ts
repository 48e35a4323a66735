// The overview as a view of the shell. Its DOM is static in index.html and
// kept up to date by overview.ts whatever view is shown (it carries the live
// connection and the firing count in the title); this only shows and hides it.

import { useEffect } from "preact/hooks";
import { byId } from "../dom";

export function OverviewView() {
  useEffect(() => {
    const el = byId("view-overview");
    el.hidden = false;
    return () => {
      el.hidden = true;
    };
  }, []);
  return null;
}
