-- The first schema: keyring, teams, secrets with their versions and trash, and API keys.
-- Values are stored only as ciphertext blobs (see src/crypto/cipher.ts); API keys only as keyed hashes.

-- Wrapped key material; see src/crypto/keyring.ts. The master key itself is never stored.
CREATE TABLE keyring (
  purpose    TEXT NOT NULL,
  term       INTEGER NOT NULL,
  state      TEXT NOT NULL,
  wrapped    BLOB NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (purpose, term)
) STRICT;

-- kdf_id is the integer the team's encryption key is derived with; AUTOINCREMENT so a deleted
-- team's number (and so its key) is never given to another team.
CREATE TABLE teams (
  kdf_id     INTEGER PRIMARY KEY AUTOINCREMENT,
  id         TEXT NOT NULL UNIQUE,
  name       TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL
) STRICT;

-- name is shown as first stored; name_key is the normalised form that makes
-- hf-access-token and hf_access_token one secret. A deleted secret stays, with all its versions,
-- in the trash until purge_at; only live secrets must have unique names, so a name can be reused
-- while an older secret of that name waits in the trash.
CREATE TABLE secrets (
  id              TEXT PRIMARY KEY,
  team_kdf_id     INTEGER NOT NULL REFERENCES teams (kdf_id),
  name            TEXT NOT NULL,
  name_key        TEXT NOT NULL,
  current_version INTEGER NOT NULL,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  deleted_at      TEXT,
  purge_at        TEXT
) STRICT;

CREATE UNIQUE INDEX secrets_live_name ON secrets (team_kdf_id, name_key) WHERE deleted_at IS NULL;
CREATE INDEX secrets_trash ON secrets (team_kdf_id, name_key, deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX secrets_purge ON secrets (purge_at) WHERE purge_at IS NOT NULL;

-- fingerprint: a keyed hash of the value (see src/crypto/fingerprint.ts), so an upsert of the
-- same value is recognised without decrypting anything.
CREATE TABLE secret_versions (
  secret_id   TEXT NOT NULL REFERENCES secrets (id) ON DELETE CASCADE,
  version     INTEGER NOT NULL,
  term        INTEGER NOT NULL,
  blob        BLOB NOT NULL,
  fingerprint TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  created_by  TEXT,
  PRIMARY KEY (secret_id, version)
) STRICT;

CREATE INDEX secret_versions_term ON secret_versions (term);

-- hash = HMAC-SHA256(pepper, key); the key itself is never stored.
CREATE TABLE api_keys (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  hash         BLOB NOT NULL UNIQUE,
  scopes       TEXT NOT NULL,
  teams        TEXT,
  created_at   TEXT NOT NULL,
  expires_at   TEXT,
  last_used_at TEXT,
  revoked_at   TEXT,
  created_by   TEXT
) STRICT;
