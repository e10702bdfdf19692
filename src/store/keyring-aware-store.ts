import type { Keyring } from '../crypto/keyring.js'
import { KeyringChanged } from '../errors.js'
import type { Store } from './store.js'

/** Attempts of one upsert when other processes keep making new terms active meanwhile. */
const WRITE_ATTEMPTS = 5

/**
 * The store as one of several processes sharing it must see it: each process holds the keyring
 * it unlocked, and another process may rotate (a new active term, old terms retired) at any time.
 * - A stored value sealed under a term this process has not loaded is read again after the
 *   keyring is (`keyring.refresh`, with the KEK it keeps): once. A term still unknown after that
 *   fails to decrypt as any tampered value does (integrity_error).
 * - A write the store refused because its term is no longer the stored active one
 *   (KeyringChanged) is sealed again after the refresh; values are sealed inside the write
 *   transaction with the term current then, so the retry uses the new one.
 * With one process (SQLite) the terms are always known and no write is refused: nothing changes.
 */
export function keyringAwareStore (store: Store, keyring: Keyring): Store {
  async function withKnownTerms<T> (read: () => Promise<T>, terms: (result: T) => Iterable<number>): Promise<T> {
    const result = await read()
    for (const term of terms(result)) {
      if (!keyring.hasTerm(term)) {
        await keyring.refresh()
        return await read()
      }
    }
    return result
  }
  const termsOf = (rows: readonly { term: number }[]) => rows.map(row => row.term)

  return {
    ...store,
    readVersion: (secretId, version) => withKnownTerms(() => store.readVersion(secretId, version), row => row === undefined ? [] : [row.term]),
    findSecretWithVersion: (teamKdfId, nameKey, version) => withKnownTerms(() => store.findSecretWithVersion(teamKdfId, nameKey, version),
      found => found?.version === undefined ? [] : [found.version.term]),
    versionsOutsideTerm: (term, limit) => withKnownTerms(() => store.versionsOutsideTerm(term, limit), termsOf),
    sealedVersions: (after, limit) => withKnownTerms(() => store.sealedVersions(after, limit), termsOf),
    async upsertSecrets (inputs) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await store.upsertSecrets(inputs)
        } catch (err) {
          if (!(err instanceof KeyringChanged) || attempt === WRITE_ATTEMPTS) throw err
          await keyring.refresh()
        }
      }
    }
  }
}
