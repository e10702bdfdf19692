import Database from 'better-sqlite3'
import { StartupError } from '../../errors.js'

export type SqliteDatabase = Database.Database

/**
 * Opens a database with the settings a secret store needs, on every open: WAL, and
 * synchronous=FULL asserted, because better-sqlite3 reopens WAL databases as NORMAL, which can
 * lose acknowledged writes on power loss (security.md §3.7).
 */
export function openDatabase (path: string): SqliteDatabase {
  const db = new Database(path, { timeout: 5000 })
  try {
    if (path !== ':memory:') db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    const synchronous = db.pragma('synchronous', { simple: true })
    if (synchronous !== 2) throw new StartupError(`SQLite refused synchronous=FULL (got ${String(synchronous)})`)
    db.pragma('foreign_keys = ON')
    // deleted secrets are overwritten on disk, not left in free pages
    db.pragma('secure_delete = ON')
    db.pragma('trusted_schema = OFF')
    db.pragma('journal_size_limit = 67108864')
    return db
  } catch (err) {
    db.close()
    throw err
  }
}
