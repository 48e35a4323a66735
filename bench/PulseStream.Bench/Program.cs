using BenchmarkDotNet.Running;
using PulseStream.Bench;

if (args.Contains("--micro"))
{
    BenchmarkSwitcher.FromTypes([typeof(ValidationAndEncoding), typeof(EnvelopeEncodings)])
        .RunAll(args: args.Where(a => a != "--micro").ToArray());
    return 0;
}
var seconds = args.SkipWhile(a => a != "--seconds").Skip(1).Select(int.Parse).FirstOrDefault(10);
// --only batched|single|edge|noisy: one part of the load run, for iterating on one figure.
var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();
var warmup = args.SkipWhile(a => a != "--warmup").Skip(1).Select(int.Parse).FirstOrDefault(30);
return await IngestLoad.RunAsync(TimeSpan.FromSeconds(seconds), TimeSpan.FromSeconds(warmup), only);
