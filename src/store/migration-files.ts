import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { StartupError } from '../errors.js'

/** migrations/ sits at the package root, beside both src/ and dist/; one folder per store. */
export function migrationsDir (store: 'sqlite' | 'postgres'): string {
  return fileURLToPath(new URL(`../../migrations/${store}`, import.meta.url))
}

export interface Migration {
  version: number
  name: string
  sql: string
  checksum: string
}

/** The numbered files of one folder (`0001_init.sql` …) in order, each with its SHA-256. */
export function readMigrationFiles (dir: string): Migration[] {
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
 * Checks the applied migrations against the files: an applied version this Trove does not know
 * means a newer Trove wrote the database, and a changed checksum means a file was edited after
 * release. Both refuse to start. Returns the versions already applied.
 */
export function checkApplied (applied: readonly { version: number, name: string, checksum: string }[], migrations: readonly Migration[]): Set<number> {
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
  return new Set(applied.map(row => row.version))
}
