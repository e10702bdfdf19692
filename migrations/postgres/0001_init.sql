-- The PostgreSQL schema: the same tables, columns and records as migrations/sqlite (0001 and 0002
-- together), so both stores map rows to the same shapes. Values are stored only as ciphertext;
-- API keys only as keyed hashes; the audit log never holds a value.
-- Timestamps stay ISO 8601 text and every text column uses the "C" collation: names, cursors,
-- prefixes and time ranges then compare byte by byte, exactly as in SQLite, whatever the
-- database's locale.

-- Wrapped key material; see src/crypto/keyring.ts. The master key itself is never stored.
CREATE TABLE keyring (
  purpose    TEXT COLLATE "C" NOT NULL,
  term       INTEGER NOT NULL,
  state      TEXT COLLATE "C" NOT NULL,
  wrapped    BYTEA NOT NULL,
  created_at TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (purpose, term)
);

-- kdf_id is the integer the team's encryption key is derived with. An identity column never
-- hands a number out twice, so a deleted team's key is never given to another team.
CREATE TABLE teams (
  kdf_id     INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id         TEXT COLLATE "C" NOT NULL UNIQUE,
  name       TEXT COLLATE "C" NOT NULL UNIQUE,
  created_at TEXT COLLATE "C" NOT NULL
);

-- name is shown as first stored; name_key is the normalised form that makes hf-access-token and
-- hf_access_token one secret. Only live secrets must have unique names, so a name can be reused
-- while an older secret of that name waits in the trash.
CREATE TABLE secrets (
  id              TEXT COLLATE "C" PRIMARY KEY,
  team_kdf_id     INTEGER NOT NULL REFERENCES teams (kdf_id),
  name            TEXT COLLATE "C" NOT NULL,
  name_key        TEXT COLLATE "C" NOT NULL,
  current_version INTEGER NOT NULL,
  created_at      TEXT COLLATE "C" NOT NULL,
  updated_at      TEXT COLLATE "C" NOT NULL,
  deleted_at      TEXT COLLATE "C",
  purge_at        TEXT COLLATE "C"
);

CREATE UNIQUE INDEX secrets_live_name ON secrets (team_kdf_id, name_key) WHERE deleted_at IS NULL;
CREATE INDEX secrets_trash ON secrets (team_kdf_id, name_key, deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX secrets_purge ON secrets (purge_at) WHERE purge_at IS NOT NULL;

-- The primary key is the last word on versions: two writers can never both store version N.
CREATE TABLE secret_versions (
  secret_id   TEXT COLLATE "C" NOT NULL REFERENCES secrets (id) ON DELETE CASCADE,
  version     INTEGER NOT NULL,
  term        INTEGER NOT NULL,
  blob        BYTEA NOT NULL,
  fingerprint TEXT COLLATE "C" NOT NULL,
  created_at  TEXT COLLATE "C" NOT NULL,
  created_by  TEXT COLLATE "C",
  PRIMARY KEY (secret_id, version)
);

CREATE INDEX secret_versions_term ON secret_versions (term);

-- hash = HMAC-SHA256(pepper, key); the key itself is never stored. scopes and teams are JSON
-- arrays (teams NULL: every team).
CREATE TABLE api_keys (
  id           TEXT COLLATE "C" PRIMARY KEY,
  name         TEXT COLLATE "C" NOT NULL,
  hash         BYTEA NOT NULL UNIQUE,
  scopes       JSONB NOT NULL,
  teams        JSONB,
  created_at   TEXT COLLATE "C" NOT NULL,
  expires_at   TEXT COLLATE "C",
  last_used_at TEXT COLLATE "C",
  revoked_at   TEXT COLLATE "C",
  created_by   TEXT COLLATE "C"
);

CREATE INDEX api_keys_revoked ON api_keys (revoked_at);

-- The audit log. hash = HMAC(audit key, this row's id and content ‖ prev_hash), see
-- src/audit/chain.ts. Ids are given by the writer, which holds the chain's advisory lock, so
-- they stay dense and in chain order however many processes write.
CREATE TABLE audit_log (
  id          BIGINT PRIMARY KEY,
  created_at  TEXT COLLATE "C" NOT NULL,
  event_type  TEXT COLLATE "C" NOT NULL,
  outcome     TEXT COLLATE "C" NOT NULL,
  key_id      TEXT COLLATE "C",
  team_id     TEXT COLLATE "C",
  team_name   TEXT COLLATE "C",
  secret_name TEXT COLLATE "C",
  client_ip   TEXT COLLATE "C",
  request_id  TEXT COLLATE "C",
  detail      TEXT COLLATE "C",
  prev_hash   BYTEA NOT NULL,
  hash        BYTEA NOT NULL
);

CREATE INDEX audit_log_created_at ON audit_log (created_at);
CREATE INDEX audit_log_secret ON audit_log (secret_name);
CREATE INDEX audit_log_key ON audit_log (key_id);
