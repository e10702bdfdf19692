-- A MAC over what each API key row grants (every column but last_used_at), keyed from the
-- keyring: a row edited outside Trove (wider scopes or teams, a later expiry, a revocation
-- cleared) is refused instead of obeyed. Rows made before this column are sealed by the first
-- start that unlocks the keyring after it (src/trove.ts), which also marks the keyring sealed.
ALTER TABLE api_keys ADD COLUMN grant_mac BLOB;
