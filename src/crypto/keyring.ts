import { randomBytes } from 'node:crypto'
import { AppError, IntegrityError, MasterKeyChanged, StartupError } from '../errors.js'
import type { Cipher } from './cipher.js'
import type { Sodium } from './sodium.js'

/**
 * Key hierarchy (security.md §3.1): the master key never touches data. It derives a KEK, which
 * wraps a keyring stored in the database: a check value that tells a wrong master key at start,
 * data keys numbered by term, and random keys for hashing API keys (and later audit and
 * fingerprints). Each team's key is derived from a data key, so one team's rows cannot be
 * decrypted as another's.
 */
export type KeyPurpose = 'check' | 'dek' | 'pepper' | 'fingerprint' | 'audit'

/** Random keys with one row each; a database made before a purpose existed gets it on its next start. */
const RANDOM_KEY_PURPOSES = ['pepper', 'fingerprint', 'audit'] as const

export interface KeyringRecord {
  purpose: KeyPurpose
  term: number
  state: 'active' | 'decrypt-only'
  wrapped: Buffer
  createdAt: string
}

export interface Keyring {
  /** the data-key term new values are sealed under */
  readonly activeTerm: number
  /** terms whose data keys are loaded, the active one included */
  readonly terms: readonly number[]
  /** Whether the data key of this term is loaded. */
  hasTerm (term: number): boolean
  /** The key that seals a team's values under a data-key term; undefined for an unknown term. */
  teamKey (term: number, teamKdfId: number): Uint8Array | undefined
  /** Random key for the keyed hash of API keys. Random rather than derived, so a rekey keeps keys valid. */
  readonly pepper: Uint8Array
  /** Random key for value fingerprints: equal values have equal fingerprints within one store. */
  readonly fingerprintKey: Uint8Array
  /** Random key for the audit log's hash chain. */
  readonly auditKey: Uint8Array
  /** Key for the MAC over what each API key row grants; derived from the pepper. */
  readonly grantKey: Uint8Array
  /**
   * Whether the stored API key rows carry grant MACs that must be checked. False only for a
   * database made by a Trove before them, until its first start with them seals the rows.
   */
  readonly grantsSealed: boolean
  /** The check value that marks the keyring's API key rows as sealed, wrapped under the KEK held now. */
  sealedGrantsCheck (now: string): KeyringRecord
  /**
   * Catches up with the keyring stored now, which other processes sharing the store may have
   * changed: data keys of new terms are unwrapped with the KEK this process keeps, terms no
   * longer stored are forgotten, and the active term becomes the stored one. Calls made while one
   * runs share it. Resolves at once for a keyring not tied to a store.
   * @throws MasterKeyChanged when another process rekeyed the store (this KEK no longer opens it)
   */
  refresh (): Promise<void>
  /**
   * Rotation: makes a new data key, returns its wrapped row for the store to write, and makes it
   * the active term once `commit` is called (after the row is stored). `kekCheck` is the stored
   * check value the wrapping KEK was verified against: the store refuses the row if the check
   * value changed since (a rekey by another process), so no data key is ever stored wrapped
   * under a master key that is gone.
   */
  newDataKey (now: string): { record: KeyringRecord, kekCheck: Buffer, commit: () => void }
  /** Forgets a term no stored value uses any more. */
  dropTerm (term: number): void
  /**
   * Rekey: the keyring's rows wrapped under another master key; secrets are not touched.
   * @throws MasterKeyChanged when `records` are not wrapped under this process's KEK (another process rekeyed)
   */
  rewrapAll (newMasterKey: Uint8Array, records: readonly KeyringRecord[], now: string): { records: KeyringRecord[], commit: () => void }
}

/**
 * The check value's plaintext also says whether API key rows carry grant MACs. It is wrapped
 * under the KEK, so only the master key's holder can turn a sealed keyring back into one whose
 * rows would be sealed again as found (short of writing back a copy of the row from before).
 */
const CHECK_PLAINTEXT = 'trove-check-v1'
const CHECK_PLAINTEXT_SEALED_GRANTS = 'trove-check-v2'
const KEY_BYTES = 32

function wrapContext (purpose: KeyPurpose, term: number): (string | number)[] {
  return ['trove-keyring', purpose, term]
}

function deriveKek (sodium: Sodium, masterKey: Uint8Array): Uint8Array {
  return sodium.crypto_kdf_derive_from_key(KEY_BYTES, 1, 'trovekek', masterKey)
}

function wrap (cipher: Cipher, kek: Uint8Array, purpose: KeyPurpose, term: number, material: Uint8Array, now: string): KeyringRecord {
  return { purpose, term, state: 'active', wrapped: cipher.seal(kek, 0, wrapContext(purpose, term), material), createdAt: now }
}

/** Fresh keyring rows for a new database. */
export function createKeyringRecords (sodium: Sodium, cipher: Cipher, masterKey: Uint8Array, now: string): KeyringRecord[] {
  const kek = deriveKek(sodium, masterKey)
  return [
    wrap(cipher, kek, 'check', 0, Buffer.from(CHECK_PLAINTEXT_SEALED_GRANTS), now),
    wrap(cipher, kek, 'dek', 1, randomBytes(KEY_BYTES), now),
    ...missingKeyringRecords(sodium, cipher, masterKey, [], now)
  ]
}

/** Rows for random-key purposes the stored keyring lacks (added by a newer Trove). */
export function missingKeyringRecords (sodium: Sodium, cipher: Cipher, masterKey: Uint8Array, records: readonly KeyringRecord[], now: string): KeyringRecord[] {
  const kek = deriveKek(sodium, masterKey)
  return RANDOM_KEY_PURPOSES
    .filter(purpose => !records.some(r => r.purpose === purpose))
    .map(purpose => wrap(cipher, kek, purpose, 0, randomBytes(KEY_BYTES), now))
}

/** The check value's plaintext, or undefined when `kek` does not open it. */
function openCheck (cipher: Cipher, kek: Uint8Array, check: KeyringRecord): string | undefined {
  try {
    const plaintext = Buffer.from(cipher.open(() => kek, wrapContext(check.purpose, check.term), check.wrapped)).toString()
    return plaintext === CHECK_PLAINTEXT || plaintext === CHECK_PLAINTEXT_SEALED_GRANTS ? plaintext : undefined
  } catch (err) {
    if (!(err instanceof IntegrityError)) throw err
    return undefined
  }
}

/**
 * Tells whether the master key is the one the keyring was made with.
 * @returns whether the keyring's API key rows carry grant MACs
 * @throws StartupError when it is not
 */
export function checkMasterKey (sodium: Sodium, cipher: Cipher, masterKey: Uint8Array, records: readonly KeyringRecord[]): { grantsSealed: boolean } {
  const kek = deriveKek(sodium, masterKey)
  const check = records.find(r => r.purpose === 'check')
  if (check === undefined) throw new StartupError('the database has no keyring check value: it was not created by Trove')
  try {
    const plaintext = openCheck(cipher, kek, check)
    if (plaintext === undefined) throw new StartupError('the master key does not match this database: supply the key it was created with, or the one it was last rekeyed to (TROVE_MASTER_KEY_FILE or TROVE_MASTER_KEY)')
    return { grantsSealed: plaintext === CHECK_PLAINTEXT_SEALED_GRANTS }
  } finally {
    sodium.memzero(kek)
  }
}

/**
 * Unwraps the stored keyring with the master key. `load` reads the stored rows again, for
 * `refresh` (omitted: a keyring not tied to a store).
 * @throws StartupError when the master key is not the one the database was created with
 */
export function unlockKeyring (
  sodium: Sodium, cipher: Cipher, masterKey: Uint8Array, records: readonly KeyringRecord[],
  load?: () => Promise<readonly KeyringRecord[]>
): Keyring {
  const { grantsSealed } = checkMasterKey(sodium, cipher, masterKey, records)
  // The KEK stays in memory, as Vault keeps its keyring key, so that rotation can wrap new data
  // keys and `refresh` can unwrap other processes' ones without the master key; it never leaves
  // the process. Reassigned by rekey.
  let currentKek = deriveKek(sodium, masterKey)
  const open = (record: KeyringRecord): Uint8Array => {
    try {
      return cipher.open(() => currentKek, wrapContext(record.purpose, record.term), record.wrapped)
    } catch (err) {
      if (!(err instanceof IntegrityError)) throw err
      throw new StartupError(`the keyring in the database is damaged (its ${record.purpose} entry ${record.term} fails its integrity check): restore the database from a backup`)
    }
  }
  /** Whether `records` are wrapped under the KEK held now; the stored check value when they are. */
  const currentCheck = (stored: readonly KeyringRecord[]): Buffer | undefined => {
    const check = stored.find(r => r.purpose === 'check')
    if (check === undefined) return undefined
    return openCheck(cipher, currentKek, check) === undefined ? undefined : check.wrapped
  }

  const dataKeys = new Map<number, Uint8Array>()
  let activeTerm = 0
  const randomKeys = new Map<KeyPurpose, Uint8Array>()
  for (const record of records) {
    if (record.purpose === 'dek') {
      dataKeys.set(record.term, open(record))
      if (record.state === 'active') activeTerm = Math.max(activeTerm, record.term)
    } else if (record.purpose !== 'check') {
      randomKeys.set(record.purpose, open(record))
    }
  }
  const pepper = randomKeys.get('pepper')
  const fingerprintKey = randomKeys.get('fingerprint')
  const auditKey = randomKeys.get('audit')
  if (activeTerm === 0 || pepper === undefined || fingerprintKey === undefined || auditKey === undefined) {
    throw new StartupError('the keyring in the database is incomplete')
  }
  const grantKey = sodium.crypto_kdf_derive_from_key(KEY_BYTES, 1, 'trovegrt', pepper)
  let kekCheck = records.find(r => r.purpose === 'check')!.wrapped

  const teamKeys = new Map<string, Uint8Array>()
  const forget = (term: number): void => {
    dataKeys.delete(term)
    for (const cacheKey of teamKeys.keys()) if (cacheKey.startsWith(`${term}:`)) teamKeys.delete(cacheKey)
  }

  /** Takes on the stored data keys; everything is checked and unwrapped before anything changes. */
  const apply = (stored: readonly KeyringRecord[]): void => {
    const check = currentCheck(stored)
    if (check === undefined) throw new MasterKeyChanged()
    const deks = stored.filter(r => r.purpose === 'dek')
    const stillActive = deks.filter(r => r.state === 'active').reduce((max, r) => Math.max(max, r.term), 0)
    if (stillActive === 0) throw new IntegrityError('the keyring in the database has no active data key')
    const added = new Map<number, Uint8Array>()
    for (const record of deks) {
      if (!dataKeys.has(record.term)) added.set(record.term, open(record))
    }
    for (const term of [...dataKeys.keys()]) {
      if (!deks.some(r => r.term === term)) forget(term)
    }
    for (const [term, key] of added) dataKeys.set(term, key)
    activeTerm = stillActive
    kekCheck = check
  }
  let refreshing: Promise<void> | undefined

  return {
    get activeTerm () { return activeTerm },
    get terms () { return [...dataKeys.keys()].sort((a, b) => a - b) },
    hasTerm: term => dataKeys.has(term),
    pepper,
    fingerprintKey,
    auditKey,
    grantKey,
    grantsSealed,
    sealedGrantsCheck (now) {
      return wrap(cipher, currentKek, 'check', 0, Buffer.from(CHECK_PLAINTEXT_SEALED_GRANTS), now)
    },
    refresh () {
      if (load === undefined) return Promise.resolve()
      refreshing ??= load().then(apply).finally(() => { refreshing = undefined })
      return refreshing
    },
    newDataKey (now) {
      const term = Math.max(...dataKeys.keys()) + 1
      const key = randomBytes(KEY_BYTES)
      return {
        record: wrap(cipher, currentKek, 'dek', term, key, now),
        kekCheck,
        commit () {
          dataKeys.set(term, key)
          activeTerm = term
        }
      }
    },
    dropTerm (term) {
      if (term === activeTerm) throw new Error('the active term cannot be dropped')
      forget(term)
    },
    rewrapAll (newMasterKey, stored, now) {
      const storedCheck = stored.find(r => r.purpose === 'check')
      // the stored check value says whether the key rows are sealed: the rewrapped one says the same
      const checkPlaintext = storedCheck === undefined ? undefined : openCheck(cipher, currentKek, storedCheck)
      if (checkPlaintext === undefined) throw new MasterKeyChanged()
      const newKek = deriveKek(sodium, newMasterKey)
      // the key in use already: a rekey to it would change nothing, yet say the old key is gone
      if (Buffer.from(newKek).equals(Buffer.from(currentKek))) {
        throw new AppError(400, 'invalid_master_key', 'the new master key is the one this store is already wrapped under: nothing to change')
      }
      const rewrapped = stored.map(record => {
        const material = record.purpose === 'check' ? Buffer.from(checkPlaintext) : open(record)
        return { ...wrap(cipher, newKek, record.purpose, record.term, material, record.createdAt), state: record.state, createdAt: now }
      })
      return {
        records: rewrapped,
        commit () {
          currentKek = newKek
          kekCheck = rewrapped.find(r => r.purpose === 'check')!.wrapped
        }
      }
    },
    teamKey (term, teamKdfId) {
      const cacheKey = `${term}:${teamKdfId}`
      let key = teamKeys.get(cacheKey)
      if (key === undefined) {
        const dataKey = dataKeys.get(term)
        if (dataKey === undefined) return undefined
        key = sodium.crypto_kdf_derive_from_key(KEY_BYTES, teamKdfId, 'trovedat', dataKey)
        teamKeys.set(cacheKey, key)
      }
      return key
    }
  }
}
