using Microsoft.AspNetCore.Mvc;
using PulseStream.Http;
using PulseStream.Storage;

namespace PulseStream.Hosting;

/// <summary><c>GET /api/health</c> for every app: reports the database too, so a probe sees a broken dependency.</summary>
public sealed class Health(Database database)
{
    public async Task<IActionResult> CheckAsync(string app, CancellationToken ct)
    {
        try
        {
            await using var command = database.DataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(ct);
            return ApiResults.Ok(new { status = "ok", app, database = "ok" });
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new JsonBodyResult(new { status = "degraded", app, database = "unreachable" }, 503);
        }
    }
}
