-- The audit log: one row per change to secrets, keys and teams (written in the same transaction
-- as the change) and per read of a value or refused request (written in groups).
-- hash = HMAC(audit key, this row's content ‖ prev_hash): editing, deleting or reordering a row
-- breaks the chain (see src/audit/chain.ts). Never a value.
CREATE TABLE audit_log (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  created_at  TEXT NOT NULL,
  event_type  TEXT NOT NULL,
  outcome     TEXT NOT NULL,
  key_id      TEXT,
  team_id     TEXT,
  team_name   TEXT,
  secret_name TEXT,
  client_ip   TEXT,
  request_id  TEXT,
  detail      TEXT,
  prev_hash   BLOB NOT NULL,
  hash        BLOB NOT NULL
) STRICT;

CREATE INDEX audit_log_created_at ON audit_log (created_at);
CREATE INDEX audit_log_secret ON audit_log (secret_name);
CREATE INDEX audit_log_key ON audit_log (key_id);

-- Keys bound to a team are found by team when the team is to be deleted.
CREATE INDEX api_keys_revoked ON api_keys (revoked_at);
