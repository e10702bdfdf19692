import { createHash } from 'node:crypto'

/**
 * Advisory lock keys. PostgreSQL's two-key form (int4, int4) is a key space of its own, apart
 * from the single bigint form other software on the same database may use. The first key says
 * what is locked:
 * - (LOCK_CLASS, LOCK_MIGRATIONS): held for the session while one process migrates;
 * - (LOCK_CLASS, LOCK_AUDIT_CHAIN): held by the transaction appending to the audit chain, from
 *   reading the last hash until commit, so the chain has one head at a time;
 * - (LOCK_CLASS, LOCK_KEYRING): held shared by every transaction that stores ciphertext (upserts,
 *   rotation's re-encryption), from reading the active term until commit, and exclusively by the
 *   keyring changes (a new term, retiring one, rekey): a change waits for the writers in flight,
 *   and a writer that comes after it reads the changed keyring. Taken after the name locks and
 *   before the audit chain's, so the order is always names, keyring, chain;
 * - (LOCK_NAMES, hash of team and name key): held by the transaction writing a secret of that
 *   name, so two writers of one name run one after the other and each reads the other's result.
 */
export const LOCK_CLASS = 0x54524f56 // 'TROV'
export const LOCK_MIGRATIONS = 1
export const LOCK_AUDIT_CHAIN = 2
export const LOCK_KEYRING = 3
export const LOCK_NAMES = 0x54524f4e // 'TRON'

/**
 * The second key of a name's lock. Two names sharing a hash only wait for each other; they are
 * never mistaken for one secret, because the lock only orders writers and the rows decide.
 */
export function nameLockKey (teamId: string, nameKey: string): number {
  return createHash('sha256').update(teamId).update('\0').update(nameKey).digest().readInt32BE(0)
}
