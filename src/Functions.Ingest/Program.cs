using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using PulseStream.Functions.Ingest;
using PulseStream.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.AddPulseStreamDefaults();
builder.AddIngest();
builder.Build().Run();
