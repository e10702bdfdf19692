import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { randomBase62 } from './crypto/api-keys.js'
import { createCipher, type Cipher } from './crypto/cipher.js'
import { checkMasterKey, createKeyringRecords, missingKeyringRecords, unlockKeyring, type Keyring } from './crypto/keyring.js'
import { generateMasterKeyFile, MASTER_KEY_BYTES, parseMasterKey, readMasterKeyFile } from './crypto/master-key.js'
import { loadSodium } from './crypto/sodium.js'
import { StartupError } from './errors.js'
import { prepareApiKey, sealApiKeyGrants } from './services/api-keys-service.js'
import { DEFAULT_TEAM_NAME } from './services/secrets-service.js'
import { keyringAwareStore } from './store/keyring-aware-store.js'
import { createStore } from './store/open-store.js'
import type { Store } from './store/store.js'

/** What the HTTP app is built from: an unlocked keyring and the store it guards. */
export interface TroveCore {
  store: Store
  keyring: Keyring
  cipher: Cipher
}

export interface OpenedTrove extends TroveCore {
  /** An admin key made on first start; shown once by the caller, only its hash is stored. */
  generatedAdminKey?: string
  close (): Promise<void>
}

export interface OpenOptions {
  dataDir: string
  dbPath: string
  /** PostgreSQL instead of SQLite (TROVE_DATABASE_URL); dbPath is then unused */
  databaseUrl?: string
  /** PostgreSQL: how long one statement of a request may run (TROVE_DATABASE_QUERY_TIMEOUT_MS) */
  databaseQueryTimeoutMs?: number
  masterKeyFile?: string
  masterKey?: string
  bootstrapKey?: string
}

interface Warner {
  warn (obj: object, msg: string): void
}

const DEFAULT_MASTER_KEY_FILE = 'master.key'

/** A key given in settings, read before the database is touched so a bad one changes nothing. */
function explicitMasterKey (options: OpenOptions): Buffer | undefined {
  if (options.masterKeyFile !== undefined) return readMasterKeyFile(options.masterKeyFile, 'TROVE_MASTER_KEY_FILE')
  if (options.masterKey !== undefined) return parseMasterKey(options.masterKey, 'TROVE_MASTER_KEY')
  return undefined
}

/**
 * Opens the store and unlocks its keyring. On the first start it creates the keyring, the
 * default team and the first admin key; a master key is generated only then, never over an
 * existing database.
 */
export async function openTrove (options: OpenOptions, log: Warner): Promise<OpenedTrove> {
  const postgres = options.databaseUrl !== undefined
  const inMemory = !postgres && options.dbPath === ':memory:'
  const given = explicitMasterKey(options)
  const sodium = await loadSodium()
  const cipher = createCipher(sodium)

  if (!inMemory) {
    if (!postgres) mkdirSync(dirname(options.dbPath), { recursive: true, mode: 0o700 })
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 })
  }
  const defaultKeyFile = join(options.dataDir, DEFAULT_MASTER_KEY_FILE)
  const store = await createStore(options)
  try {
    const records = await store.listKeyring()
    const isNew = records.length === 0
    let masterKey = given
    if (masterKey === undefined && !inMemory && existsSync(defaultKeyFile)) {
      masterKey = readMasterKeyFile(defaultKeyFile, 'the master key file')
    }
    if (masterKey === undefined && !isNew) {
      const database = postgres ? 'the PostgreSQL database' : `the database ${options.dbPath}`
      throw new StartupError(`the master key is missing: ${defaultKeyFile} does not exist but ${database} does; restore the key file or set TROVE_MASTER_KEY_FILE`)
    }
    if (masterKey === undefined) {
      if (inMemory) {
        masterKey = randomBytes(MASTER_KEY_BYTES)
      } else {
        masterKey = generateMasterKeyFile(defaultKeyFile)
        log.warn({ file: defaultKeyFile }, 'generated a new master key; production should supply its own (TROVE_MASTER_KEY_FILE) and keep a copy apart from the database')
      }
    }

    let generatedAdminKey: string | undefined
    if (isNew) {
      const now = new Date()
      const keyring = createKeyringRecords(sodium, cipher, masterKey, now.toISOString())
      const unlocked = unlockKeyring(sodium, cipher, masterKey, keyring)
      const admin = prepareApiKey(unlocked, { name: 'admin', scopes: ['admin'], teams: null, key: options.bootstrapKey }, now)
      if (options.bootstrapKey === undefined) generatedAdminKey = admin.key
      const initialised = await store.initialise({
        keyring,
        defaultTeam: { id: `team_${randomBase62(10)}`, name: DEFAULT_TEAM_NAME, kdfId: 1, createdAt: now.toISOString() },
        adminKey: admin.record
      })
      // another process sharing the database set it up first: its keyring and admin key stand
      if (!initialised) generatedAdminKey = undefined
    }
    const stored = await store.listKeyring()
    // check the master key before adding anything, so a wrong key writes nothing
    checkMasterKey(sodium, cipher, masterKey, stored)
    const missing = missingKeyringRecords(sodium, cipher, masterKey, stored, new Date().toISOString())
    if (missing.length > 0) await store.insertKeyring(missing)
    // re-read after adding: a process sharing the store may have added the same purposes first;
    // later re-reads catch up with rotations by other processes sharing it (Keyring.refresh)
    let keyring = unlockKeyring(sodium, cipher, masterKey, missing.length > 0 ? await store.listKeyring() : stored, () => store.listKeyring())
    if (!keyring.grantsSealed) {
      await sealApiKeyGrants(store, keyring, log)
      keyring = unlockKeyring(sodium, cipher, masterKey, await store.listKeyring(), () => store.listKeyring())
    }
    sodium.memzero(masterKey)
    return { store: keyringAwareStore(store, keyring), keyring, cipher, generatedAdminKey, close: () => store.close() }
  } catch (err) {
    await store.close()
    throw err
  }
}
