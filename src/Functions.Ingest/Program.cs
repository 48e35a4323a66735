using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using PulseStream.Functions.Ingest;
using PulseStream.Hosting;
using PulseStream.Http;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.UseMiddleware<UnhandledErrorsWorkerMiddleware>();
builder.AddPulseStreamDefaults();
builder.AddIngest();
builder.Build().Run();
