using System.Globalization;
using System.Text;
using CsCheck;

namespace PulseStream.IntegrationTests;

/// <summary>
/// Generates ingest events as raw JSON text across what the edge takes: any Unicode (control characters, every
/// plane, noncharacters, literal or escaped, surrogate pairs escaped), every field absent, null, empty or at its
/// limit, the most and the longest attributes, timestamps across the window in every RFC 3339 form. About one event
/// in four breaks one rule on purpose (U+0000 or a lone surrogate in a text field, one unit too long, a route over its
/// byte bound, a byte counter over 2^40, a timestamp outside the window or malformed, a duplicate key), and records
/// the field the edge must name. Each event carries a unique <c>eventId</c> so its row can be found.
/// </summary>
internal static class ContractEvents
{
    public const long MaxByteCount = 1L << 40;
    public const int MaxRouteBytes = 1024;

    /// <summary>A JSON string's contents as sent (escapes and all) and the text it decodes to.</summary>
    public readonly record struct Piece(string Json, string Value);

    /// <summary>What the store must hold for an accepted event, and the field the edge must name if it is refused.</summary>
    public sealed record Generated(
        string Json, string EventId, DateTimeOffset Timestamp, string Path, string? Route, string? ConsumerId, string Environment,
        IReadOnlyDictionary<string, string>? Attributes, long? RequestBytes, long? ResponseBytes, string? RefusedField)
    {
        public override string ToString() => Json.Length <= 300 ? Json : Json[..300] + "…";
    }

    private static Piece Literal(int codePoint) => new(char.ConvertFromUtf32(codePoint), char.ConvertFromUtf32(codePoint));

    private static string Escape(char unit, bool upper) => "\\u" + ((int)unit).ToString(upper ? "X4" : "x4", CultureInfo.InvariantCulture);

    /// <summary>Every UTF-16 unit as <c>\uXXXX</c>: a supplementary character becomes an escaped surrogate pair.</summary>
    private static Piece Escaped(int codePoint, bool upper = true)
    {
        var text = char.ConvertFromUtf32(codePoint);
        return new(string.Concat(text.Select(c => Escape(c, upper))), text);
    }

    private static readonly Gen<int> BmpScalar = Gen.Int[0x80, 0xFFFF].Where(c => c is < 0xD800 or > 0xDFFF);
    private static readonly Gen<int> Supplementary = Gen.Int[0x10000, 0x10FFFF];

    private static readonly Gen<Piece> AnyPiece = Gen.Frequency(
        (30, Gen.Char[' ', '~'].Where(c => c is not ('"' or '\\')).Select(c => new Piece(c.ToString(), c.ToString()))),
        (5, Gen.Select(Gen.Int[1, 0x1F], Gen.Bool, (c, upper) => Escaped(c, upper))),
        (3, Gen.OneOf(new Piece("\\\"", "\""), new Piece("\\\\", "\\"), new Piece("\\/", "/"), new Piece("\\b", "\b"),
            new Piece("\\f", "\f"), new Piece("\\n", "\n"), new Piece("\\r", "\r"), new Piece("\\t", "\t"))),
        (8, BmpScalar.Select(Literal)),
        (4, Gen.Select(BmpScalar, Gen.Bool, (c, upper) => Escaped(c, upper))),
        (4, Supplementary.Select(Literal)),
        (3, Gen.Select(Supplementary, Gen.Bool, (c, upper) => Escaped(c, upper))),
        (2, Gen.OneOf(0x7F, 0x85, 0xA0, 0xAD, 0x2028, 0x2029, 0xFEFF, 0xFFFD, 0xFFFE, 0xFFFF, 0xFDD0, 0x1FFFE, 0x10FFFF).Select(Literal)));

    /// <summary>Three-byte characters only: the densest UTF-8 per UTF-16 unit, for the byte bounds.</summary>
    private static readonly Gen<Piece> WidePiece = Gen.Int[0x4E00, 0x9FFF].Select(Literal);

    private static readonly Piece Nul = new("\\u0000", "\0");
    private static readonly Gen<Piece> LoneSurrogate = Gen.Frequency(
        (2, Gen.Int[0xD800, 0xDBFF].Select(c => new Piece(Escape((char)c, true), ((char)c).ToString()))),
        (2, Gen.Int[0xDC00, 0xDFFF].Select(c => new Piece(Escape((char)c, true), ((char)c).ToString()))),
        // A pair in the wrong order is two lone surrogates.
        (1, Gen.Const(new Piece("\\uDE00\\uD83D", "\uDE00\uD83D"))));

    /// <summary>Text of exactly <paramref name="units"/> UTF-16 units (the unit the contract's lengths count).</summary>
    private static Gen<List<Piece>> Text(Gen<Piece> pieces, Gen<int> units) =>
        from length in units
        from generated in pieces.Array[length]
        select Fit(generated, length);

    private static List<Piece> Fit(Piece[] pieces, int units)
    {
        var fitted = new List<Piece>(units);
        var length = 0;
        foreach (var piece in pieces)
        {
            if (length + piece.Value.Length > units) continue;
            fitted.Add(piece);
            length += piece.Value.Length;
            if (length == units) break;
        }
        for (; length < units; length++) fitted.Add(new Piece("a", "a"));
        return fitted;
    }

    /// <summary>Lengths that favour the short, the limit and everything between.</summary>
    private static Gen<int> Length(int min, int max) =>
        Gen.Frequency((5, Gen.Int[min, Math.Min(max, min + 24)]), (2, Gen.Int[min, max]), (2, Gen.Const(max)));

    private static string Json(List<Piece> text) => string.Concat(text.Select(p => p.Json));
    private static string Value(List<Piece> text) => string.Concat(text.Select(p => p.Value));

    /// <summary>The rule an event breaks on purpose, if any.</summary>
    private enum Flaw
    {
        None, Nul, LoneSurrogate, TooLong, RouteTooManyBytes, ByteCountTooLarge, TooOld, TooNew, MalformedTimestamp,
        DuplicateKnownKey, DuplicateUnknownKey, DuplicateAttribute, TooManyAttributes, PathWithoutSlash,
    }

    /// <summary>The text fields a character flaw may go into.</summary>
    private static readonly string[] TextFields = ["eventId", "path", "route", "consumerId", "environment", "attributeKey", "attributeValue"];

    private static long _nextId;

    private sealed record Spec(Flaw Flaw, int Target, int Position, Piece Lone, int Shuffle, bool EscapeKeys, bool Extra);

    private static readonly Gen<Spec> Specs =
        from flaw in Gen.Frequency((30, Gen.Const(Flaw.None)), (2, Gen.Const(Flaw.Nul)), (1, Gen.Const(Flaw.LoneSurrogate)),
            (1, Gen.Const(Flaw.TooLong)), (1, Gen.Const(Flaw.RouteTooManyBytes)), (1, Gen.Const(Flaw.ByteCountTooLarge)),
            (1, Gen.OneOf(Flaw.TooOld, Flaw.TooNew)), (1, Gen.Const(Flaw.MalformedTimestamp)),
            (1, Gen.OneOf(Flaw.DuplicateKnownKey, Flaw.DuplicateUnknownKey, Flaw.DuplicateAttribute)),
            (1, Gen.OneOf(Flaw.TooManyAttributes, Flaw.PathWithoutSlash)))
        from target in Gen.Int[0, 1000]
        from position in Gen.Int[0, 100_000]
        from lone in LoneSurrogate
        from shuffle in Gen.Int
        from escapeKeys in Gen.Frequency((9, Gen.Const(false)), (1, Gen.Const(true)))
        from extra in Gen.Bool
        select new Spec(flaw, target, position, lone, shuffle, escapeKeys, extra);

    private sealed record Stamp(string Text, DateTimeOffset Instant, string? Refused);

    private static readonly string[] Malformed =
    [
        "{0}-13-{2}T{3}:{4}:{5}Z", "{0}-{1}-32T{3}:{4}:{5}Z", "{0}-04-31T{3}:{4}:{5}Z", "{0}-02-30T{3}:{4}:{5}Z", "{0}-{1}-{2}T24:{4}:{5}Z",
        "{0}-{1}-{2}T{3}:60:{5}Z", "{0}-{1}-{2}T{3}:{4}:61Z", "{0}-{1}-{2}T{3}:58:60Z", "{0}-{1}-{2}T{3}:{4}:{5}+24:00", "{0}-{1}-{2}T{3}:{4}:{5}+12:60",
        "{0}-{1}-{2}T{3}:{4}:{5}.1234567890Z", "{0}-{1}-{2}T{3}:{4}:{5}.Z", "{0}-{1}-{2} {3}:{4}:{5}Z", "{0}-{1}-{2}T{3}:{4}:{5}",
        "{0}-{1}-{2}T{3}:{4}:{5}UTC", "{0}-{1}-{2}T{3}:{4}Z", " {0}-{1}-{2}T{3}:{4}:{5}Z", "{0}-{1}-{2}T{3}:{4}:{5}Z ", "{0}{1}{2}T{3}{4}{5}Z",
        "{0}-{1}-{2}T{3}:{4}:{5}+0100", "{0}-{1}-{2}T{3}:{4}:{5}+01", "+{0}-{1}-{2}T{3}:{4}:{5}Z", "{0}-{1}-{2}T{3}:{4}:{5},5Z", "{0}-{1}-{2}T{3}:{4}:{5}.5.5Z",
    ];

    /// <summary>
    /// A timestamp inside the window (older than 2 hours when it is a leap second, so that moving it to the end of its
    /// hour keeps it inside), in any zone offset up to ±23:59, with 0 to 9 fraction digits; or a flawed one.
    /// </summary>
    private static Gen<Stamp> Stamps(Flaw flaw) =>
        from age in Gen.Long[TimeSpan.FromHours(2).Ticks, (TimeSpan.FromDays(7) - TimeSpan.FromMinutes(20)).Ticks]
        from recent in Gen.Frequency((8, Gen.Const(false)), (2, Gen.Const(true)))
        from ahead in Gen.Long[-TimeSpan.FromHours(1).Ticks, TimeSpan.FromMinutes(3).Ticks]
        from offset in Gen.Frequency((3, Gen.Const(0)), (5, Gen.Int[-(23 * 60 + 59), 23 * 60 + 59]), (1, Gen.OneOf(23 * 60 + 59, -(23 * 60 + 59))))
        from zone in Gen.Int[0, 3]
        from separator in Gen.OneOf("T", "t")
        from digits in Gen.Int[0, 9]
        from extra in Gen.Int[0, 99]
        from leap in Gen.Frequency((12, Gen.Const(false)), (1, Gen.Const(true)))
        from malformed in Gen.Int[0, Malformed.Length - 1]
        select MakeStamp(flaw, recent ? DateTimeOffset.UtcNow.AddTicks(ahead) : DateTimeOffset.UtcNow.AddTicks(-age), offset, zone, separator,
            digits, extra, leap && !recent, malformed);

    private static Stamp MakeStamp(Flaw flaw, DateTimeOffset instant, int offsetMinutes, int zoneStyle, string separator, int digits, int extra, bool leap, int malformed)
    {
        if (flaw == Flaw.TooOld) instant = DateTimeOffset.UtcNow.AddDays(-7).AddHours(-1);
        if (flaw == Flaw.TooNew) instant = DateTimeOffset.UtcNow.AddMinutes(10);
        var offset = TimeSpan.FromMinutes(offsetMinutes);
        var local = instant.UtcDateTime + offset;
        var zone = offsetMinutes != 0
            ? (offsetMinutes < 0 ? "-" : "+") + TimeSpan.FromMinutes(Math.Abs(offsetMinutes)).ToString("hh\\:mm", CultureInfo.InvariantCulture)
            : zoneStyle switch { 0 => "Z", 1 => "z", 2 => "+00:00", _ => "-00:00" };
        string Two(int n) => n.ToString("D2", CultureInfo.InvariantCulture);
        if (flaw == Flaw.MalformedTimestamp)
            return new Stamp(string.Format(CultureInfo.InvariantCulture, Malformed[malformed], local.Year.ToString("D4", CultureInfo.InvariantCulture),
                Two(local.Month), Two(local.Day), Two(local.Hour), Two(local.Minute), Two(local.Second)), instant, "timestamp");

        var ticksOfSecond = local.Ticks % TimeSpan.TicksPerSecond;
        var fraction = ticksOfSecond.ToString("D7", CultureInfo.InvariantCulture);
        fraction = digits <= 7 ? fraction[..digits] : fraction + (extra % (digits == 8 ? 10 : 100)).ToString(digits == 8 ? "D1" : "D2", CultureInfo.InvariantCulture);
        var kept = digits >= 7 ? ticksOfSecond : ticksOfSecond - ticksOfSecond % (long)Math.Pow(10, 7 - digits);
        var expectedLocal = local.AddTicks(kept - ticksOfSecond);
        var seconds = Two(local.Second);
        var minute = local.Minute;
        if (leap)
        {
            // The leap second of this hour: recorded as the last instant of its minute (no leap-second table is kept).
            minute = 59;
            seconds = "60";
            expectedLocal = new DateTime(local.Year, local.Month, local.Day, local.Hour, 59, 59, DateTimeKind.Unspecified).AddTicks(TimeSpan.TicksPerSecond - 1);
        }
        var text = $"{local.Year:D4}-{Two(local.Month)}-{Two(local.Day)}{separator}{Two(local.Hour)}:{Two(minute)}:{seconds}"
            + (digits > 0 ? "." + fraction : "") + zone;
        var expected = new DateTimeOffset(DateTime.SpecifyKind(expectedLocal - offset, DateTimeKind.Utc));
        return new Stamp(text, expected, flaw is Flaw.TooOld or Flaw.TooNew ? "timestamp" : null);
    }

    private static readonly Gen<string> Methods = Gen.Select(Gen.OneOf("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"), Gen.Int, (method, casing) => new string(method.Select((c, i) => (casing >> i & 1) == 1 ? char.ToLowerInvariant(c) : c).ToArray()));

    private static readonly Gen<string> StatusCodes = Gen.Select(Gen.Int[100, 599], Gen.Int[0, 5], (code, style) => style switch { 0 => $"{code}.0", 1 => $"{code}e0", _ => code.ToString(CultureInfo.InvariantCulture) });

    private static readonly Gen<string> Latencies = Gen.Frequency(
        (6, Gen.Double[0, 3_600_000].Select(l => l.ToString("R", CultureInfo.InvariantCulture))),
        (1, Gen.OneOf("0", "3600000", "3.6e6", "1e-7", "-0", "0.000")));

    /// <summary>A byte counter: absent (null), JSON null, 0, 2^40, or anything between.</summary>
    private static readonly Gen<(string? Json, long? Value)> ByteCounts = Gen.Frequency(
        (3, Gen.Const<(string?, long?)>((null, null))), (1, Gen.Const<(string?, long?)>(("null", null))),
        (1, Gen.Const<(string?, long?)>(("0", 0))), (2, Gen.Const<(string?, long?)>((MaxByteCount.ToString(CultureInfo.InvariantCulture), MaxByteCount))),
        (3, Gen.Long[0, MaxByteCount].Select(n => ((string?)n.ToString(CultureInfo.InvariantCulture), (long?)n))));

    /// <summary>How an optional member is sent: left out, JSON null, an empty value, or a generated one.</summary>
    private enum Presence { Absent, Null, Empty, Value }

    private static readonly Gen<Presence> Presences = Gen.Frequency(
        (2, Gen.Const(Presence.Absent)), (1, Gen.Const(Presence.Null)), (1, Gen.Const(Presence.Empty)), (5, Gen.Const(Presence.Value)));

    /// <summary>Path segments: mostly words, sometimes numbers and tokens (replaced by <c>{id}</c> in a derived route).</summary>
    private static readonly Gen<Piece> PathPiece = Gen.Frequency((12, AnyPiece), (2, Gen.Const(new Piece("/", "/"))), (1, Gen.Const(new Piece("\\/", "/"))),
        (1, Gen.Int[0, 99999].Select(n => new Piece("/" + n.ToString(CultureInfo.InvariantCulture), "/" + n.ToString(CultureInfo.InvariantCulture)))));

    public static readonly Gen<Generated> Events =
        from spec in Specs
        from stamp in Stamps(spec.Flaw)
        from method in Methods
        from path in Text(Gen.Frequency((3, PathPiece), (1, WidePiece)), Length(0, 2047))
        from routePresence in Presences
        from route in Text(Gen.Frequency((3, AnyPiece), (1, WidePiece)), Gen.Frequency((3, Gen.Int[0, 40]), (1, Gen.Int[0, 1023])))
        from eventIdFiller in Text(AnyPiece, Length(0, 64 - 17))
        from status in StatusCodes
        from latency in Latencies
        from requestBytes in ByteCounts
        from responseBytes in ByteCounts
        from consumerPresence in Presences
        from consumer in Text(AnyPiece, Length(1, 128))
        from environmentPresence in Presences
        from environment in Text(AnyPiece, Length(1, 32))
        from attributePresence in Presences
        from attributeCount in Gen.Frequency((3, Gen.Int[1, 5]), (1, Gen.Int[1, 20]), (1, Gen.Const(20)))
        from keys in Text(AnyPiece, Length(0, 62)).Array[21]
        from values in Text(AnyPiece, Length(0, 256)).Array[21]
        from wide in Text(WidePiece, Gen.Int[342, 700])
        select Build(spec, stamp, method, path, routePresence, route, eventIdFiller, status, latency, requestBytes, responseBytes,
            consumerPresence, consumer, environmentPresence, environment, attributePresence, attributeCount, keys, values, wide);

    private sealed record Member(string Key, string Value);

    private static Generated Build(Spec spec, Stamp stamp, string method, List<Piece> path, Presence routePresence, List<Piece> route,
        List<Piece> eventIdFiller, string status, string latency, (string? Json, long? Value) requestBytes, (string? Json, long? Value) responseBytes,
        Presence consumerPresence, List<Piece> consumer, Presence environmentPresence, List<Piece> environment,
        Presence attributePresence, int attributeCount, List<Piece>[] keys, List<Piece>[] values, List<Piece> wide)
    {
        var refused = stamp.Refused;
        var flaw = spec.Flaw;
        // The id's 17-character prefix makes it unique (a counter: generated numbers favour small values, and a repeated
        // id is a client's retry, stored once); generated text follows it.
        var prefix = $"g{Interlocked.Increment(ref _nextId):x16}";
        var eventId = new List<Piece> { new(prefix, prefix) };
        eventId.AddRange(eventIdFiller);
        path.Insert(0, new Piece("/", "/"));
        route.Insert(0, new Piece("/", "/"));
        // A route is bounded in bytes as well: cut from the end, so that long ones end at or near the bound.
        var routeBytes = route.Sum(p => Utf8Bytes(p.Value));
        while (routeBytes > MaxRouteBytes) { routeBytes -= Utf8Bytes(route[^1].Value); route.RemoveAt(route.Count - 1); }

        var attributes = new List<(List<Piece> Key, List<Piece> Value)>();
        if (attributePresence == Presence.Value || flaw is Flaw.TooManyAttributes or Flaw.DuplicateAttribute)
            for (var i = 0; i < (flaw == Flaw.TooManyAttributes ? 21 : attributeCount); i++)
            {
                // A two-digit prefix keeps the keys distinct (a duplicate is a flaw of its own).
                var key = new List<Piece> { new(i.ToString("D2", CultureInfo.InvariantCulture), i.ToString("D2", CultureInfo.InvariantCulture)) };
                key.AddRange(keys[i]);
                attributes.Add((key, values[i]));
            }
        if (flaw == Flaw.TooManyAttributes) refused = "attributes";

        if (flaw is Flaw.Nul or Flaw.LoneSurrogate or Flaw.TooLong)
        {
            var field = TextFields[spec.Target % TextFields.Length];
            if (field.StartsWith("attribute", StringComparison.Ordinal))
            {
                attributePresence = Presence.Value;
                if (attributes.Count == 0) attributes.Add(([new Piece("00", "00")], [new Piece("v", "v")]));
            }
            if (field == "route") routePresence = Presence.Value;
            if (field == "consumerId") consumerPresence = Presence.Value;
            if (field == "environment") environmentPresence = Presence.Value;
            var attribute = attributes.Count > 0 ? attributes[spec.Position % attributes.Count] : default;
            var text = field switch
            {
                "eventId" => eventId, "path" => path, "route" => route, "consumerId" => consumer, "environment" => environment,
                "attributeKey" => attribute.Key, _ => attribute.Value,
            };
            if (flaw == Flaw.TooLong)
            {
                var max = field switch
                {
                    "eventId" => 64, "path" => 2048, "consumerId" => 128, "environment" => 32, "attributeKey" => 64, "attributeValue" => 256,
                    _ => 0,
                };
                if (field == "route") text.AddRange(wide); // a route is bounded in bytes
                else
                {
                    var length = text.Sum(p => p.Value.Length);
                    for (; length <= max; length++) text.Add(new Piece("x", "x"));
                }
            }
            else
            {
                // Replaces a piece (keeping the text within its length), never the first: the id's prefix, the path's '/'.
                var at = text.Count < 2 ? text.Count : 1 + spec.Position % (text.Count - 1);
                var mark = flaw == Flaw.Nul ? Nul : spec.Lone;
                if (at < text.Count) text[at] = mark; else text.Add(mark);
            }
            refused = field switch
            {
                "attributeKey" => "attributes",
                "attributeValue" => "attributes." + Value(attribute.Key),
                _ => field,
            };
        }
        if (flaw == Flaw.RouteTooManyBytes)
        {
            routePresence = Presence.Value;
            route = [new Piece("/", "/"), .. wide];
            refused = "route";
        }
        if (flaw == Flaw.PathWithoutSlash)
        {
            path.RemoveAt(0);
            if (path.Count == 0 || path[0].Value.StartsWith('/')) path.Insert(0, new Piece("p", "p"));
            refused = "path";
        }
        if (flaw == Flaw.ByteCountTooLarge)
        {
            var tooLarge = (spec.Position % 3) switch { 0 => MaxByteCount + 1, 1 => 1L << 62, _ => long.MaxValue };
            if (spec.Target % 2 == 0) { requestBytes = (tooLarge.ToString(CultureInfo.InvariantCulture), tooLarge); refused = "requestBytes"; }
            else { responseBytes = (tooLarge.ToString(CultureInfo.InvariantCulture), tooLarge); refused = "responseBytes"; }
        }

        var members = new List<Member>
        {
            new("eventId", Quoted(eventId)),
            new("timestamp", $"\"{stamp.Text}\""),
            new("method", $"\"{method}\""),
            new("path", Quoted(path)),
            new("statusCode", status),
            new("latencyMs", latency),
        };
        void Optional(string key, Presence presence, string value)
        {
            if (presence == Presence.Absent) return;
            members.Add(new(key, presence switch { Presence.Null => "null", Presence.Empty => "\"\"", _ => value }));
        }
        Optional("route", routePresence == Presence.Empty ? Presence.Absent : routePresence, Quoted(route));
        Optional("consumerId", consumerPresence, Quoted(consumer));
        Optional("environment", environmentPresence, Quoted(environment));
        if (attributePresence != Presence.Absent || attributes.Count > 0)
            members.Add(new("attributes", attributePresence switch
            {
                Presence.Null when attributes.Count == 0 => "null",
                Presence.Empty when attributes.Count == 0 => "{}",
                _ => "{" + string.Join(",", attributes.Select(a => $"{Quoted(a.Key)}:{Quoted(a.Value)}")) + "}",
            }));
        if (requestBytes.Json is not null) members.Add(new("requestBytes", requestBytes.Json));
        if (responseBytes.Json is not null) members.Add(new("responseBytes", responseBytes.Json));
        // Unknown members are ignored, whatever they hold: even text the store could not hold is never stored.
        if (spec.Extra || flaw == Flaw.DuplicateUnknownKey) members.Add(new("x-extra", """{"nested":["\u0000","\ud800",1e999]}"""));

        if (spec.EscapeKeys)
            members = members.Select(m => m with { Key = string.Concat(m.Key.Select(c => Escape(c, upper: false))) }).ToList();
        var random = new Random(spec.Shuffle);
        members = members.OrderBy(_ => random.Next()).ToList();
        if (flaw == Flaw.DuplicateKnownKey)
        {
            var known = members.Where(m => m.Key != "x-extra").ToList();
            var twice = known[spec.Position % known.Count];
            members.Insert(spec.Target % (members.Count + 1), twice);
            refused = Unescape(twice.Key);
        }
        if (flaw == Flaw.DuplicateUnknownKey)
        {
            members.Insert(spec.Target % (members.Count + 1), new Member("x-extra", "1"));
            refused = "x-extra";
        }
        var json = "{" + string.Join(",", members.Select(m => $"\"{m.Key}\":{m.Value}")) + "}";
        if (flaw == Flaw.DuplicateAttribute && attributes.Count > 0)
        {
            // The same key again, escaped differently: equal once decoded.
            var (key, _) = attributes[spec.Position % attributes.Count];
            var index = json.IndexOf("\"attributes\":{", StringComparison.Ordinal);
            var escapedKey = string.Concat(Value(key).Select(c => Escape(c, upper: true)));
            json = index < 0 ? json : json.Insert(index + "\"attributes\":{".Length, $"\"{escapedKey}\":\"again\",");
            refused = index < 0 ? refused : "attributes." + Value(key);
        }

        var consumerValue = consumerPresence == Presence.Value ? Value(consumer) : null;
        var environmentValue = environmentPresence == Presence.Value ? Value(environment) : "production";
        return new Generated(json, Value(eventId), stamp.Instant, Value(path), routePresence == Presence.Value ? Value(route) : null,
            consumerValue, environmentValue,
            attributes.Count == 0 ? null : attributes.ToDictionary(a => Value(a.Key), a => Value(a.Value), StringComparer.Ordinal),
            requestBytes.Value, responseBytes.Value, refused);
    }

    private static string Quoted(List<Piece> text) => "\"" + Json(text) + "\"";

    private static string Unescape(string key) =>
        key.StartsWith("\\u", StringComparison.Ordinal)
            ? string.Concat(Enumerable.Range(0, key.Length / 6).Select(i => (char)int.Parse(key.AsSpan(i * 6 + 2, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture)))
            : key;

    /// <summary>The UTF-8 size of a text, for the byte bounds.</summary>
    public static int Utf8Bytes(string text) => Encoding.UTF8.GetByteCount(text);
}
