using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using PulseStream.Functions.Realtime;
using PulseStream.Hosting;
using PulseStream.Http;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.UseMiddleware<UnhandledErrorsWorkerMiddleware>();
builder.AddPulseStreamDefaults();
builder.AddRealtime();
builder.Build().Run();
