using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using PulseStream.Functions.Realtime;
using PulseStream.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.AddPulseStreamDefaults();
builder.AddRealtime();
builder.Build().Run();
