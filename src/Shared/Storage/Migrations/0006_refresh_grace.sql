-- Refresh grace (RFC 9700 §4.14.2 allows it): two tabs refreshing the same token at once both get the pair the
-- first refresh issued, instead of the second looking like a replay that revokes the family. The spent row keeps
-- that successor pair, encrypted (AES-256-GCM with Secrets__ProtectionKey; never a token in plain text), written by
-- the same UPDATE that marks the row spent, so a concurrent refresh blocked on the row's lock reads it after commit.
ALTER TABLE refresh_tokens ADD COLUMN successor_protected text;
