// The server's clock as seen from the browser. Live ticks and chart buckets
// carry server timestamps; a browser clock a few seconds off would otherwise
// put the newest bucket outside the chart or count ticks twice.

let skewSeconds = 0;

/** Now, in epoch seconds, on the server's clock (best estimate). */
export function serverNow(): number {
  return Date.now() / 1000 + skewSeconds;
}

/** Learn the skew from a server timestamp meant to be "now" (e.g. overview `to`). */
export function observeServerTime(serverEpochSeconds: number): void {
  if (!Number.isFinite(serverEpochSeconds)) return;
  const skew = serverEpochSeconds - Date.now() / 1000;
  // Ignore absurd values; smooth the rest so one late message does not jump the chart.
  if (Math.abs(skew) > 24 * 3600) return;
  skewSeconds = Math.abs(skew - skewSeconds) > 30 ? skew : skewSeconds * 0.7 + skew * 0.3;
}
