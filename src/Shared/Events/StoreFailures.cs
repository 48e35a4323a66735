using System.Data;
using Npgsql;

namespace PulseStream.Events;

/// <summary>
/// Tells a failure the store may not repeat (a dropped connection, a deadlock, a server restart: retry the whole
/// batch) from one it will repeat whatever the moment (a value a column or a sum cannot hold, a body that does not
/// decode: isolate the events that cause it), and describes a failure for an operator.
/// </summary>
public static class StoreFailures
{
    private const int MaxDescriptionLength = 1000;

    /// <summary>Whether <paramref name="error"/> says nothing about the data: cancellation, transient server or network errors, a broken connection.</summary>
    public static bool IsTransient(Exception error, NpgsqlConnection? connection = null) =>
        error is OperationCanceledException or TimeoutException or IOException or System.Net.Sockets.SocketException
        || error is NpgsqlException { IsTransient: true }
        || error is NpgsqlException { InnerException: IOException or System.Net.Sockets.SocketException or TimeoutException }
        || connection is not null && connection.FullState != ConnectionState.Open;

    /// <summary>
    /// The error as an operator reads it: the message (a Postgres error's includes its SQLSTATE), without a stack trace
    /// or type name, without U+0000 (which a text column refuses), at most 1,000 characters.
    /// </summary>
    public static string Describe(Exception error)
    {
        var text = error.Message.Replace('\0', '\uFFFD');
        return text.Length <= MaxDescriptionLength ? text : text[..MaxDescriptionLength];
    }
}
