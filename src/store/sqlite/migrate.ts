import { checkApplied, migrationsDir, readMigrationFiles, type Migration } from '../migration-files.js'
import type { SqliteDatabase } from './db.js'

export const SQLITE_MIGRATIONS_DIR = migrationsDir('sqlite')

export function readMigrations (dir = SQLITE_MIGRATIONS_DIR): Migration[] {
  return readMigrationFiles(dir)
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
  const done = checkApplied(applied, migrations)
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
