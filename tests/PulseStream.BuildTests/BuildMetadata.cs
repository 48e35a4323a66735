using System.Reflection;

namespace PulseStream.BuildTests;

/// <summary>Values the project file stamps into this assembly (<c>AssemblyMetadata</c> items) at build time.</summary>
internal static class BuildMetadata
{
    public static string RepoRoot => Get("RepoRoot");

    public static string Get(string key) =>
        typeof(BuildMetadata).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"Assembly metadata {key} has no value.");
}
