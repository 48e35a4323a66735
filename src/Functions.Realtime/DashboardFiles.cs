using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using PulseStream.Http;

namespace PulseStream.Functions.Realtime;

/// <summary>Serves the dashboard single-page app from the files embedded in this assembly.</summary>
public sealed class DashboardFiles
{
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8", [".js"] = "text/javascript; charset=utf-8", [".css"] = "text/css; charset=utf-8",
        [".map"] = "application/json", [".svg"] = "image/svg+xml", [".png"] = "image/png", [".ico"] = "image/x-icon",
    };

    private readonly Dictionary<string, byte[]> _files = Load();

    private static Dictionary<string, byte[]> Load()
    {
        var assembly = typeof(DashboardFiles).Assembly;
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("dashboard/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            files[name["dashboard/".Length..].Replace('\\', '/')] = buffer.ToArray();
        }
        return files;
    }

    public IActionResult Serve(HttpRequest request, string? path)
    {
        if (string.IsNullOrEmpty(path) && !request.Path.Value!.EndsWith('/'))
            return new RedirectResult(request.PathBase + request.Path + "/");
        if (_files.Count == 0)
            return ApiResults.Problem(StatusCodes.Status503ServiceUnavailable, "dashboard-not-built", "The dashboard is not built.",
                "Run ./pulse up (it builds src/Functions.Realtime/dashboard with npm).");
        var file = string.IsNullOrEmpty(path) ? "index.html" : path;
        if (!_files.TryGetValue(file, out var content)) return ApiResults.NotFound($"No dashboard file '{file}'.");
        var type = ContentTypes.GetValueOrDefault(Path.GetExtension(file), "application/octet-stream");
        return new FileContentResult(content, type);
    }
}
