using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace PulseStream.BrowserTests;

/// <summary>
/// Accessibility checks a view must pass: axe-core (Deque's Playwright binding) finds no serious or critical
/// violation, every input has a label, and Tab reaches every control a person can act with.
/// </summary>
public static class Accessibility
{
    public static async Task AssertNoSeriousViolationsAsync(IPage page, string what)
    {
        var result = await page.RunAxe();
        var serious = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(serious.Count == 0, $"{what}: axe found " + string.Join("; ", serious.Select(v =>
            $"{v.Impact} {v.Id} ({v.Help}) at {string.Join(", ", v.Nodes.Take(5).Select(n => $"{n.Target} [{string.Join(" ", n.Any.Concat(n.All).Select(c => c.Message))}]"))}")));
    }

    /// <summary>Every input, select and textarea in <paramref name="scope"/> has an accessible name from a label or ARIA.</summary>
    public static async Task AssertEveryInputIsLabelledAsync(IPage page, string scope, string what)
    {
        var unlabelled = await page.EvaluateAsync<string[]>("""
            (scope) => [...document.querySelectorAll(`${scope} input, ${scope} select, ${scope} textarea`)]
              .filter(e => !(e.labels && e.labels.length > 0 && [...e.labels].some(l => l.textContent.trim() !== ""))
                && !(e.getAttribute("aria-label") || "").trim() && !e.getAttribute("aria-labelledby"))
              .map(e => e.id || e.className || e.outerHTML.slice(0, 80))
            """, scope);
        Assert.True(unlabelled.Length == 0, $"{what}: inputs without a label: {string.Join(", ", unlabelled)}");
    }

    /// <summary>Pressing Tab from the top of the page focuses, one after the other, every visible enabled control in <paramref name="scope"/>.</summary>
    public static async Task AssertEveryControlIsReachableByTabAsync(IPage page, string scope, string what)
    {
        var count = await page.EvaluateAsync<int>("""
            (scope) => {
              const controls = [...document.querySelectorAll(`${scope} :is(a[href], button, input, select, textarea, summary)`)]
                .filter(e => !e.disabled && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden");
              document.querySelectorAll("[data-kb]").forEach(e => e.removeAttribute("data-kb"));
              controls.forEach((e, i) => e.setAttribute("data-kb", String(i)));
              // Each focus is recorded as it happens, so the presses below need no round trip each to ask where focus went.
              window.__kbReached = new Set();
              if (!window.__kbListening) {
                window.__kbListening = true;
                document.addEventListener("focusin", ev => {
                  const at = ev.target?.getAttribute?.("data-kb");
                  if (at != null) window.__kbReached.add(at);
                });
              }
              if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
              return controls.length;
            }
            """, scope);
        Assert.True(count > 0, $"{what}: no controls in {scope}");
        // The shell's own controls come first; then the view's, each once.
        var reached = new HashSet<string>();
        for (var pressed = 0; pressed < count + 40 && reached.Count < count;)
        {
            var batch = Math.Min(count + 40 - pressed, Math.Max(8, count - reached.Count));
            for (var i = 0; i < batch; i++) await page.Keyboard.PressAsync("Tab");
            pressed += batch;
            reached = (await page.EvaluateAsync<string[]>("() => [...window.__kbReached]")).ToHashSet();
        }
        if (reached.Count < count)
        {
            var missed = await page.EvaluateAsync<string[]>("""
                (reached) => [...document.querySelectorAll("[data-kb]")].filter(e => !reached.includes(e.getAttribute("data-kb")))
                  .map(e => e.id || e.className || e.outerHTML.slice(0, 80))
                """, reached.ToArray());
            Assert.Fail($"{what}: Tab never reached {string.Join(", ", missed)}");
        }
    }
}
