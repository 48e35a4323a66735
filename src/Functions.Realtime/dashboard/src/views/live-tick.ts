// A counter that moves when a live `alert` message arrives (at most twice a
// second) and every `pollMs` as a fallback, for views to reload on.

import { useEffect, useState } from "preact/hooks";
import { onAlertMessage } from "../live-feed";
import { useDebounced } from "../ui/async";

export function useAlertTick(pollMs = 30_000): number {
  const [tick, setTick] = useState(0);
  const bump = useDebounced(() => setTick((t) => t + 1), 500);
  useEffect(() => {
    const off = onAlertMessage(() => bump());
    const timer = setInterval(() => setTick((t) => t + 1), pollMs);
    return () => {
      off();
      clearInterval(timer);
    };
  }, [bump, pollMs]);
  return tick;
}
