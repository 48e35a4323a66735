using PulseStream.Functions.Alerts;
using PulseStream.Functions.Ingest;
using PulseStream.Functions.Realtime;
using PulseStream.Hosting;
using PulseStream.LocalHost;

// Content root = the binaries' folder, so appsettings.json is found whatever the working directory.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddLocalSettings();
builder.AddPulseStreamDefaults();
builder.AddIngest();
builder.AddAlerts();
builder.AddRealtime();
builder.AddLocalRuntime();

var app = builder.Build();
app.MapLocalRuntime();
app.Run();
