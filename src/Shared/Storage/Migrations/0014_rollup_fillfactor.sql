-- Every consumed batch rewrites the rollup rows of the buckets it touches (the open minute, hour and day of each
-- route, consumer and total): an update in place, whose key columns never change. With full pages each new row
-- version goes to another page and into every index of the table; with room left on the page it is a heap-only
-- (HOT) update that touches no index, and the page's dead versions are pruned as it goes. Measured in
-- docs/PERFORMANCE.md ("Stored end to end beside InfluxDB"). Only pages written from now on leave the room.
ALTER TABLE rollup_routes_minute SET (fillfactor = 50);
ALTER TABLE rollup_routes_hour SET (fillfactor = 50);
ALTER TABLE rollup_routes_day SET (fillfactor = 50);
ALTER TABLE rollup_consumers_minute SET (fillfactor = 50);
ALTER TABLE rollup_consumers_hour SET (fillfactor = 50);
ALTER TABLE rollup_consumers_day SET (fillfactor = 50);
ALTER TABLE rollup_totals_10s SET (fillfactor = 50);
ALTER TABLE rollup_totals_minute SET (fillfactor = 50);
ALTER TABLE rollup_totals_hour SET (fillfactor = 50);
ALTER TABLE rollup_totals_day SET (fillfactor = 50);
