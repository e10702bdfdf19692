import type { SqliteDatabase } from './db.js'

/**
 * Results of whole-table reads (the list of secrets, the teams), kept until the database
 * changes. This connection is the only writer of its file (openDatabase holds it exclusively),
 * and total_changes() counts every row it writes, committed or not, so a kept result is never
 * stale; checking costs a function call, no file access. Metadata only: values are never read
 * through here.
 */
export function createReadCache (db: SqliteDatabase, limits: { maxEntries: number }) {
  const totalChanges = db.prepare('SELECT total_changes()').pluck()
  const entries = new Map<string, { changes: number, value: unknown }>()

  return {
    /** `read()`'s result, reused while nothing changed; kept only when `keep` says so. */
    get<T> (key: string, read: () => T, keep: (value: T) => boolean = () => true): T {
      const changes = totalChanges.get() as number
      const entry = entries.get(key)
      if (entry !== undefined && entry.changes === changes) return entry.value as T
      const value = read()
      if (keep(value)) {
        if (entries.size >= limits.maxEntries) entries.clear()
        entries.set(key, { changes, value })
      }
      return value
    }
  }
}
