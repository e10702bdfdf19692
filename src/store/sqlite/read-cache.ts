import type { SqliteDatabase } from './db.js'

/**
 * Results of whole-table reads (the list of secrets, the teams), kept until the database
 * changes: through this connection (total_changes() counts every row it writes, committed or
 * not) or through any other (data_version), so a kept result is never stale. The check costs
 * about what one point query does; reading 100 secrets costs far more. Metadata only: values
 * are never read through here.
 */
export function createReadCache (db: SqliteDatabase, limits: { maxEntries: number }) {
  // two statements, not one: read as a table (pragma_data_version), the pragma prepares a
  // statement of its own on every run, about 3 µs more per check
  const dataVersion = db.prepare('PRAGMA data_version').pluck()
  const totalChanges = db.prepare('SELECT total_changes()').pluck()
  const entries = new Map<string, { changes: number, dataVersion: number, value: unknown }>()

  return {
    /** `read()`'s result, reused while nothing changed; kept only when `keep` says so. */
    get<T> (key: string, read: () => T, keep: (value: T) => boolean = () => true): T {
      const changes = totalChanges.get() as number
      const version = dataVersion.get() as number
      const entry = entries.get(key)
      if (entry !== undefined && entry.changes === changes && entry.dataVersion === version) return entry.value as T
      const value = read()
      if (keep(value)) {
        if (entries.size >= limits.maxEntries) entries.clear()
        entries.set(key, { changes, dataVersion: version, value })
      }
      return value
    }
  }
}
