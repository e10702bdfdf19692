import { grantIntact } from '../crypto/api-keys.js'
import type { Cipher } from '../crypto/cipher.js'
import type { Keyring } from '../crypto/keyring.js'
import { IntegrityError } from '../errors.js'
import { sealContext } from '../services/secrets-service.js'
import type { Store } from '../store/store.js'

export interface StoreCheck {
  versions: number
  failures: { secretId: string, version: number }[]
  /** ids of API keys whose row fails its grant MAC (none checked in a keyring not sealed yet) */
  tamperedKeys: string[]
}

/**
 * Opens every stored version with the keyring, and checks every API key row's grant MAC: what
 * "every secret decrypts" means for a backup, a restore or a rotation. Reads versions in pages
 * so a large store does not sit in memory.
 */
export async function decryptEverything (store: Store, keyring: Keyring, cipher: Cipher): Promise<StoreCheck> {
  let versions = 0
  const failures: StoreCheck['failures'] = []
  let after: { secretId: string, version: number } | undefined
  for (;;) {
    const rows = await store.sealedVersions(after, 1000)
    if (rows.length === 0) break
    for (const row of rows) {
      versions++
      try {
        cipher.open(term => keyring.teamKey(term, row.teamKdfId), sealContext(row.teamId, row.secretId, row.nameKey, row.version), row.blob)
      } catch (err) {
        if (!(err instanceof IntegrityError)) throw err
        failures.push({ secretId: row.secretId, version: row.version })
      }
    }
    const last = rows.at(-1)!
    after = { secretId: last.secretId, version: last.version }
  }
  const tamperedKeys = keyring.grantsSealed
    ? (await store.listApiKeys()).filter(key => !grantIntact(keyring.grantKey, key)).map(key => key.id)
    : []
  return { versions, failures, tamperedKeys }
}
