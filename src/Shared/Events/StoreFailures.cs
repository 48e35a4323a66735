using System.Data;
using Npgsql;

namespace PulseStream.Events;

/// <summary>
/// Tells a failure that the data causes, and that the store will repeat whenever it sees that data (a value a column
/// or a sum cannot hold, a body that does not decode: isolate the events that cause it), from every other failure
/// (a dropped connection, a deadlock, a server restart, a missing grant after a bad deploy: retry the whole batch,
/// since splitting it would only dead-letter every event one by one); and describes a failure for an operator.
/// </summary>
public static class StoreFailures
{
    private const int MaxDescriptionLength = 1000;

    /// <summary>
    /// SQLSTATE classes a row's values cause: 22 data exception (U+0000 in text or jsonb, a bigint out of range,
    /// a malformed value), 23 integrity constraint violation, 54 program limit exceeded (a value too large to index).
    /// </summary>
    private static readonly string[] DataClasses = ["22", "23", "54"];

    /// <summary>Whether <paramref name="error"/> says nothing about the data: cancellation, transient server or network errors, a broken connection.</summary>
    public static bool IsTransient(Exception error, NpgsqlConnection? connection = null) =>
        error is OperationCanceledException or TimeoutException or IOException or System.Net.Sockets.SocketException
        || error is NpgsqlException { IsTransient: true }
        || error is NpgsqlException { InnerException: IOException or System.Net.Sockets.SocketException or TimeoutException }
        || connection is not null && connection.FullState != ConnectionState.Open;

    /// <summary>
    /// Whether the events being written caused <paramref name="error"/>: a Postgres data, integrity or limit error,
    /// or an exception of the application's own code over the values (an overflow, a format or argument error).
    /// Other Postgres and Npgsql errors are about the database, not the data.
    /// </summary>
    public static bool IsCausedByData(Exception error, NpgsqlConnection? connection = null) =>
        !IsTransient(error, connection) && error switch
        {
            PostgresException postgres => DataClasses.Contains(postgres.SqlState[..2]),
            NpgsqlException => false,
            _ => true,
        };

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
