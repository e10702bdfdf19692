-- An audit entry of a secret, or of a key, is found through an index keyed first by the entry's
-- block of 4,096 ids (id >> 12), then by the name or the key id, instead of by the name or key id
-- alone. Read events are appended in groups (src/audit/audit-log.ts): keyed by name alone, a
-- group of reads of 1,000 different secrets put a new entry at the end of each secret's range,
-- a different leaf page each, and every such page was written to the WAL and checkpointed again
-- with each group. Keyed by block, a group's entries all land in the newest block's few pages.
-- Issue 9: appending reads of 1,000 secrets cost 22 µs an event with 540,000 entries logged,
-- 11 µs with the block index; a server whose log held 3,000,000 entries read values 15% faster.
-- A query by secret or key looks the block index up once per block, newest first, until its page
-- is full (src/store/sqlite/audit-queries.ts): in a log of 3,000,000 entries, about 2 ms for a
-- secret read often, 12-22 ms for one with no entries at all.
DROP INDEX audit_log_secret;
DROP INDEX audit_log_key;
CREATE INDEX audit_log_secret_block ON audit_log (id >> 12, secret_name);
CREATE INDEX audit_log_key_block ON audit_log (id >> 12, key_id);
