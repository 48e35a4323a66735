using PulseStream.Screenshots;

return await DashboardScreenshots.RunAsync(args);
