-- The local event log's appender retries a group commit once on a new connection when its connection broke. If the
-- break came after the commit was sent, the group may be stored already: the first message of every group carries the
-- group's append id, so the retry can look for it (from the sequence the appender last knew) instead of appending the
-- group a second time. The other messages leave it null.
ALTER TABLE event_log_messages ADD COLUMN append_id uuid;
