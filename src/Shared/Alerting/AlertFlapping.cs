using PulseStream.Metrics;

namespace PulseStream.Alerting;

/// <summary>
/// A rule's <c>flapDetection</c>: an alert group that changes state (firing &lt;-&gt; clear) more than
/// <paramref name="Changes"/> times within <paramref name="Within"/> is flapping (<see cref="AlertFlapping"/>).
/// </summary>
public sealed record FlapSettings(int Changes, string Within)
{
    public const int MinChanges = 2;
    public const int MaxChanges = 100;

    public TimeSpan WithinSpan => Durations.TryParse(Within, out var within) ? within : TimeSpan.FromMinutes(30);
}

/// <summary>
/// One alert group's flap state, as stored in <c>alert_flaps</c>: its recent state changes, oldest first (those within
/// the rule's <c>within</c>, at most <c>changes</c> + 1 of them), and, while its alert flaps, what its condition does
/// underneath the open alert (firing or clear, and since when a met condition waits for <c>for</c>) and how many times
/// it changed state since the alert started flapping.
/// </summary>
public sealed record FlapHistory(IReadOnlyList<DateTimeOffset> Changes, DateTimeOffset? LastChangeAt = null, bool UnderneathFiring = true,
    DateTimeOffset? PendingSince = null, int FlappingChanges = 0)
{
    public static readonly FlapHistory Empty = new([]);

    /// <summary>Whether <paramref name="other"/> holds the same state (so it need not be written).</summary>
    public bool SameAs(FlapHistory? other) => other is not null && Changes.SequenceEqual(other.Changes) && LastChangeAt == other.LastChangeAt
        && UnderneathFiring == other.UnderneathFiring && PendingSince == other.PendingSince && FlappingChanges == other.FlappingChanges;
}

/// <summary>What flap detection adds to a decision: the alert starts flapping, or stops.</summary>
public enum FlapMark { None, Start, Stop }

/// <summary>
/// A decision of the state machine with flap detection: the transition to write, whether flapping starts or stops
/// with it, the group's flap state after it, and the timeline's summary when flapping starts or stops.
/// </summary>
public sealed record FlapStep(AlertTransition Transition, FlapMark Mark, FlapHistory History, string? Note = null);

/// <summary>
/// Flap detection on top of <see cref="AlertStateMachine"/>. Every firing &lt;-&gt; clear change of a group (an alert
/// firing, an alert resolving) is recorded; the change that makes more than <c>changes</c> of them within <c>within</c>
/// marks the alert flapping instead of resolving it (or opens the new alert already flapping). A flapping alert stays
/// one open incident: the state machine goes on running underneath it (with <c>for</c>, <c>keepFiringFor</c> and the
/// recovery threshold as ever), its changes are counted but change nothing anyone sees, and once the group's state has
/// not changed for <c>within</c> the alert stops flapping: it resolves if the condition is clear underneath, otherwise
/// it goes on firing as an ordinary alert. Pure: evaluation and the preview run the same steps.
/// </summary>
public static class AlertFlapping
{
    /// <summary>The next step for one group, from its open alert, its stored flap state and what this evaluation read.</summary>
    public static FlapStep Next(OpenAlert? current, FlapHistory? stored, GroupReading reading, DateTimeOffset now, AlertTiming timing, FlapSettings? settings)
    {
        var history = stored ?? FlapHistory.Empty;
        if (settings is null)
        {
            var plain = AlertStateMachine.Next(current, reading, now, timing);
            if (current?.FlappingSince is not { } since) return new FlapStep(plain, FlapMark.None, history);
            // Detection was turned off while the alert flapped: it is an ordinary alert again.
            return plain == AlertTransition.Resolve
                ? new FlapStep(AlertTransition.Resolve, FlapMark.Stop, history, StopNote(since, history.FlappingChanges, null, resolves: true))
                : new FlapStep(AlertTransition.StopFlapping, FlapMark.Stop, history, StopNote(since, history.FlappingChanges, null, resolves: false));
        }
        var within = settings.WithinSpan;
        return current?.FlappingSince is { } flappingSince
            ? WhileFlapping(current, flappingSince, history, reading, now, timing, settings, within)
            : Ordinary(current, history, reading, now, timing, settings, within);
    }

    private static FlapStep Ordinary(OpenAlert? current, FlapHistory history, GroupReading reading, DateTimeOffset now, AlertTiming timing, FlapSettings settings,
        TimeSpan within)
    {
        var transition = AlertStateMachine.Next(current, reading, now, timing);
        var pruned = Prune(history, now, within);
        if (transition is not (AlertTransition.StartFiring or AlertTransition.Fire or AlertTransition.Resolve))
            return new FlapStep(transition, FlapMark.None, pruned);
        var recorded = Record(pruned, now, settings);
        if (recorded.Changes.Count <= settings.Changes) return new FlapStep(transition, FlapMark.None, recorded);
        var flapping = recorded with { UnderneathFiring = transition != AlertTransition.Resolve, PendingSince = null, FlappingChanges = 0 };
        var note = $"Flapping: changed state {recorded.Changes.Count} times within {settings.Within}. It stays one open alert, notified once, "
            + $"until its state has not changed for {settings.Within}.";
        // A resolve would end the incident: the alert stays open instead, flapping. A fire opens (or fires) it flapping.
        return new FlapStep(transition == AlertTransition.Resolve ? AlertTransition.StartFlapping : transition, FlapMark.Start, flapping, note);
    }

    private static FlapStep WhileFlapping(OpenAlert current, DateTimeOffset flappingSince, FlapHistory history, GroupReading reading, DateTimeOffset now,
        AlertTiming timing, FlapSettings settings, TimeSpan within)
    {
        // The state machine underneath: the open alert while the condition fires, none (or a pending one) while it is clear.
        var underneath = history.UnderneathFiring ? current
            : history.PendingSince is { } pendingSince ? new OpenAlert(current.Id, AlertState.Pending, pendingSince) : null;
        var transition = AlertStateMachine.Next(underneath, reading, now, timing);
        var next = history;
        var changed = false;
        var onAlert = AlertTransition.None;
        switch (transition)
        {
            case AlertTransition.StartFiring or AlertTransition.Fire:
                next = next with { UnderneathFiring = true, PendingSince = null };
                changed = true;
                break;
            case AlertTransition.StartPending:
                next = next with { PendingSince = now };
                break;
            case AlertTransition.DropPending:
                next = next with { PendingSince = null };
                break;
            case AlertTransition.Resolve:
                next = next with { UnderneathFiring = false, PendingSince = null };
                changed = true;
                // The keepFiringFor clock starts afresh when it fires again underneath.
                if (current.ClearedAt is not null) onAlert = AlertTransition.StopClearing;
                break;
            case AlertTransition.StartClearing or AlertTransition.StopClearing:
                onAlert = transition;
                break;
        }
        next = Prune(next, now, within);
        if (changed) return new FlapStep(onAlert, FlapMark.None, Record(next, now, settings) with { FlappingChanges = next.FlappingChanges + 1 });
        if (next.Changes.Count > 0) return new FlapStep(onAlert, FlapMark.None, next);
        // Its state has not changed for `within`: it stops flapping.
        var resolves = !next.UnderneathFiring;
        var note = StopNote(flappingSince, next.FlappingChanges, settings.Within, resolves);
        var quiet = next with { UnderneathFiring = true, PendingSince = null, FlappingChanges = 0 };
        return new FlapStep(resolves ? AlertTransition.Resolve : AlertTransition.StopFlapping, FlapMark.Stop, quiet, note);
    }

    private static string StopNote(DateTimeOffset since, int changes, string? within, bool resolves) =>
        (within is null ? "Stopped flapping: flap detection was turned off" : $"Stopped flapping: its state had not changed for {within}")
        + $"; it changed state {changes} more times while flapping since {since:u}. "
        + (resolves ? "Its condition is clear: it resolves." : "Its condition holds: it goes on firing as an ordinary alert.");

    /// <summary>Keeps the changes within <paramref name="within"/> before <paramref name="now"/>.</summary>
    internal static FlapHistory Prune(FlapHistory history, DateTimeOffset now, TimeSpan within) =>
        history.Changes.Count == 0 || history.Changes[0] > now - within ? history
            : history with { Changes = history.Changes.Where(c => c > now - within).ToList() };

    /// <summary>Adds a change at <paramref name="now"/>, keeping the newest <c>changes</c> + 1 (all that detection needs).</summary>
    internal static FlapHistory Record(FlapHistory history, DateTimeOffset now, FlapSettings settings)
    {
        var changes = history.Changes.Append(now).ToList();
        if (changes.Count > settings.Changes + 1) changes.RemoveRange(0, changes.Count - settings.Changes - 1);
        return history with { Changes = changes, LastChangeAt = now };
    }

    /// <summary>
    /// The notification event type of an alert change: <c>alert.flapping</c> when the change started its flapping
    /// (<see cref="AlertView.FlappingStarted"/>), otherwise <c>alert.{state}</c>.
    /// </summary>
    public static string EventType(AlertView alert) => alert.FlappingStarted ? "alert.flapping" : $"alert.{alert.State}";
}
