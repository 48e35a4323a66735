using BenchmarkDotNet.Running;
using PulseStream.Bench;

if (args.Contains("--micro"))
{
    BenchmarkRunner.Run<ValidationAndEncoding>(args: args.Where(a => a != "--micro").ToArray());
    return 0;
}
var seconds = args.SkipWhile(a => a != "--seconds").Skip(1).Select(int.Parse).FirstOrDefault(10);
return await IngestLoad.RunAsync(TimeSpan.FromSeconds(seconds));
