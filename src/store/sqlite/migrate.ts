import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { StartupError } from '../../errors.js'
import type { SqliteDatabase } from './db.js'

/** migrations/ sits at the package root, beside both src/ and dist/. */
export const SQLITE_MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/sqlite', import.meta.url))

interface Migration {
  version: number
  name: string
  sql: string
  checksum: string
}

export function readMigrations (dir = SQLITE_MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter(file => /^\d{4}_[\w-]+\.sql$/.test(file))
    .sort()
    .map(file => {
      const sql = readFileSync(join(dir, file), 'utf8')
      return {
        version: Number(file.slice(0, 4)),
        name: file,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex')
      }
    })
}

/**
 * Applies pending migrations in order, each in its own transaction with its record, so a crash
 * leaves the schema at one version or the next. Refuses an edited migration and a database
 * written by a newer Trove.
 */
export function migrate (db: SqliteDatabase, migrations = readMigrations()): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL
  ) STRICT`)
  const applied = db.prepare('SELECT version, name, checksum FROM schema_migrations ORDER BY version')
    .all() as { version: number, name: string, checksum: string }[]
  const known = new Map(migrations.map(m => [m.version, m]))
  for (const row of applied) {
    const migration = known.get(row.version)
    if (migration === undefined) {
      throw new StartupError(`the database has schema version ${row.version} (${row.name}), newer than this Trove knows: upgrade Trove`)
    }
    if (migration.checksum !== row.checksum) {
      throw new StartupError(`migration ${row.name} changed after it was applied; restore the original file`)
    }
  }
  const done = new Set(applied.map(row => row.version))
  const record = db.prepare('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)')
  let count = 0
  for (const migration of migrations) {
    if (done.has(migration.version)) continue
    db.transaction(() => {
      db.exec(migration.sql)
      record.run(migration.version, migration.name, migration.checksum, new Date().toISOString())
    }).immediate()
    count++
  }
  return count
}
