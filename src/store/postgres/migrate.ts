import type pg from 'pg'
import { checkApplied, migrationsDir, readMigrationFiles, type Migration } from '../migration-files.js'
import { LOCK_CLASS, LOCK_MIGRATIONS } from './locks.js'

export const POSTGRES_MIGRATIONS_DIR = migrationsDir('postgres')

export function readPostgresMigrations (dir = POSTGRES_MIGRATIONS_DIR): Migration[] {
  return readMigrationFiles(dir)
}

/**
 * Applies pending migrations in order, each in its own transaction with its record, under a
 * session advisory lock: processes that start together queue here, and each one after the first
 * finds the schema done. Refuses an edited migration and a database written by a newer Trove,
 * as the SQLite runner does. Returns how many it applied.
 */
export async function migratePostgres (pool: pg.Pool, migrations = readPostgresMigrations()): Promise<number> {
  const client = await pool.connect()
  let broken = false
  try {
    await client.query('SELECT pg_advisory_lock($1, $2)', [LOCK_CLASS, LOCK_MIGRATIONS])
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL
      )`)
      const applied = (await client.query<{ version: number, name: string, checksum: string }>(
        'SELECT version, name, checksum FROM schema_migrations ORDER BY version')).rows
      const done = checkApplied(applied, migrations)
      let count = 0
      for (const migration of migrations) {
        if (done.has(migration.version)) continue
        await client.query('BEGIN')
        try {
          // no parameters: the simple protocol runs every statement of the file
          await client.query(migration.sql)
          await client.query('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)',
            [migration.version, migration.name, migration.checksum, new Date().toISOString()])
          await client.query('COMMIT')
        } catch (err) {
          await client.query('ROLLBACK').catch(() => { broken = true })
          throw err
        }
        count++
      }
      return count
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_CLASS, LOCK_MIGRATIONS]).catch(() => { broken = true })
    }
  } catch (err) {
    broken = true
    throw err
  } finally {
    // a connection that failed mid-way is dropped, never handed out again (its session lock dies with it)
    client.release(broken)
  }
}
