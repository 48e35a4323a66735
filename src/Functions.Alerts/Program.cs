using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using PulseStream.Functions.Alerts;
using PulseStream.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.AddPulseStreamDefaults();
builder.AddAlerts();
builder.Build().Run();
