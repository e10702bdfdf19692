import { chmodSync, copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createCipher } from '../crypto/cipher.js'
import { unlockKeyring } from '../crypto/keyring.js'
import { parseMasterKey, readMasterKeyFile } from '../crypto/master-key.js'
import { loadSodium } from '../crypto/sodium.js'
import { StartupError } from '../errors.js'
import { createSqliteStore } from '../store/sqlite/sqlite-store.js'
import { decryptEverything } from './check-store.js'

export interface RestoreOptions {
  /** the backup file */
  file: string
  dataDir: string
  dbPath: string
  masterKeyFile?: string
  masterKey?: string
}

export interface RestoreReport {
  dbPath: string
  versions: number
  /**
   * API keys whose row fails its integrity check (changed outside Trove). Restored all the
   * same: Trove refuses those keys, and the rest of the backup should not be lost for them.
   */
  tamperedKeys: string[]
}

/**
 * Restores a backup into an empty data folder: the copy is checked (integrity, the keyring
 * unlocks with the master key given, every stored value decrypts) before it takes the
 * database's place, so a bad backup or a wrong key leaves nothing behind.
 */
export async function restoreBackup (options: RestoreOptions): Promise<RestoreReport> {
  if (options.dbPath === ':memory:') throw new StartupError('restore needs a database file (TROVE_DB is :memory:)')
  if (existsSync(options.dbPath) || existsSync(`${options.dbPath}-wal`)) {
    throw new StartupError(`${options.dbPath} exists: restore only into an empty data folder (move the old database away first)`)
  }
  if (!existsSync(options.file)) throw new StartupError(`cannot read the backup ${options.file}`)
  const defaultKeyFile = join(options.dataDir, 'master.key')
  const masterKey = options.masterKeyFile !== undefined
    ? readMasterKeyFile(options.masterKeyFile, 'TROVE_MASTER_KEY_FILE')
    : options.masterKey !== undefined
      ? parseMasterKey(options.masterKey, 'TROVE_MASTER_KEY')
      : existsSync(defaultKeyFile)
        ? readMasterKeyFile(defaultKeyFile, 'the master key file')
        : undefined
  if (masterKey === undefined) throw new StartupError('restore needs the master key the backup was made under: set TROVE_MASTER_KEY_FILE (or put it in the data folder as master.key)')

  // the first folder this made, if any: a failed restore takes it away again
  const createdDir = mkdirSync(dirname(options.dbPath), { recursive: true, mode: 0o700 })
  const staging = `${options.dbPath}.restoring`
  rmSync(staging, { force: true })
  try {
    copyFileSync(options.file, staging)
    // the copy keeps the backup file's mode; the database (and the WAL SQLite makes with its
    // mode) is for its owner only, as every file Trove creates
    chmodSync(staging, 0o600)
    const store = createSqliteStore(staging)
    try {
      const problems = await store.checkIntegrity()
      if (problems.length > 0) throw new StartupError(`the backup failed its integrity check: ${problems[0]}`)
      const sodium = await loadSodium()
      const cipher = createCipher(sodium)
      const keyring = unlockKeyring(sodium, cipher, masterKey, await store.listKeyring())
      const check = await decryptEverything(store, keyring, cipher)
      if (check.failures.length > 0) throw new StartupError(`${check.failures.length} stored values in the backup do not decrypt`)
      await store.close()
      for (const suffix of ['-wal', '-shm']) rmSync(`${staging}${suffix}`, { force: true })
      renameSync(staging, options.dbPath)
      return { dbPath: options.dbPath, versions: check.versions, tamperedKeys: check.tamperedKeys }
    } finally {
      await store.close()
    }
  } catch (err) {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${staging}${suffix}`, { force: true })
    if (createdDir !== undefined) rmSync(createdDir, { recursive: true, force: true })
    throw damaged(err, options.file)
  }
}

/** SQLite finding the file is not a database, or a damaged one, is a bad backup, not a bug. */
function damaged (err: unknown, file: string): unknown {
  const code = (err as { code?: string }).code
  if (code === 'SQLITE_NOTADB') return new StartupError(`${file} is not a SQLite database, so not a Trove backup`)
  if (code === 'SQLITE_CORRUPT' || code?.startsWith('SQLITE_CORRUPT_') === true) return new StartupError(`${file} is damaged (SQLite: ${(err as Error).message}); it cannot be restored`)
  return err
}
