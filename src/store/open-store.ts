import { createSqliteStore } from './sqlite/sqlite-store.js'
import type { Store } from './store.js'

export interface StoreOptions {
  /** SQLite file, or ':memory:'; used when no database URL is given */
  dbPath: string
  /** postgres:// or postgresql:// URL (TROVE_DATABASE_URL): PostgreSQL instead of SQLite */
  databaseUrl?: string
  /** PostgreSQL: how long one statement of a request may run (TROVE_DATABASE_QUERY_TIMEOUT_MS) */
  databaseQueryTimeoutMs?: number
}

/**
 * The one place that knows which stores exist: PostgreSQL when a database URL is set, SQLite
 * otherwise. Everything above it sees only the Store interface.
 */
export async function createStore (options: StoreOptions): Promise<Store> {
  if (options.databaseUrl !== undefined) {
    // the pg driver is loaded only when it is used: it costs start-up time on SQLite
    const { createPostgresStore } = await import('./postgres/postgres-store.js')
    return await createPostgresStore(options.databaseUrl, { queryTimeoutMs: options.databaseQueryTimeoutMs })
  }
  return createSqliteStore(options.dbPath)
}
