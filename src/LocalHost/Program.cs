using PulseStream.Functions.Alerts;
using PulseStream.Functions.Ingest;
using PulseStream.Functions.Realtime;
using PulseStream.Hosting;
using PulseStream.LocalHost;

var builder = WebApplication.CreateBuilder(args);
builder.AddLocalSettings();
builder.AddPulseStreamDefaults();
builder.AddIngest();
builder.AddAlerts();
builder.AddRealtime();
builder.AddLocalRuntime();

var app = builder.Build();
app.MapLocalRuntime();
app.Run();
