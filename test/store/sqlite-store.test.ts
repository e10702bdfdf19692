import { existsSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import { openDatabase } from '../../src/store/sqlite/db.js'
import { migrate, readMigrations } from '../../src/store/sqlite/migrate.js'
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.js'

t.test('every open is WAL with synchronous=FULL, also on reopen', async t => {
  const path = join(t.testdir(), 'trove.db')
  for (let i = 0; i < 2; i++) {
    const db = openDatabase(path)
    t.equal(db.pragma('journal_mode', { simple: true }), 'wal')
    t.equal(db.pragma('synchronous', { simple: true }), 2, `open ${i + 1}`)
    t.equal(db.pragma('secure_delete', { simple: true }), 1)
    t.equal(db.pragma('foreign_keys', { simple: true }), 1)
    db.close()
  }
})

t.test('migrations apply once, in order', async t => {
  const path = join(t.testdir(), 'trove.db')
  const db = openDatabase(path)
  t.equal(migrate(db), readMigrations().length)
  t.equal(migrate(db), 0, 'nothing left to apply')
  const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all()
  for (const table of ['api_keys', 'keyring', 'schema_migrations', 'secret_versions', 'secrets', 'teams']) t.ok(tables.includes(table), table)
  db.close()
})

t.test('a database from a newer Trove is refused', async t => {
  const path = join(t.testdir(), 'trove.db')
  const db = openDatabase(path)
  migrate(db)
  db.prepare("INSERT INTO schema_migrations VALUES (9999, '9999_future.sql', 'x', 'now')").run()
  t.throws(() => migrate(db), { name: 'StartupError', message: /newer than this Trove/ })
  db.close()
})

t.test('an edited migration is refused', async t => {
  const path = join(t.testdir(), 'trove.db')
  const db = openDatabase(path)
  migrate(db)
  db.prepare("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1").run()
  t.throws(() => migrate(db), { name: 'StartupError', message: /changed after it was applied/ })
  db.close()
})

t.test('a file is held by one opener: a second is refused until the first closes it', async t => {
  const path = join(t.testdir(), 'trove.db')
  const store = createSqliteStore(path)
  await store.initialise({ keyring: [], defaultTeam: { id: 'team_x', name: 'default', kdfId: 0, createdAt: 'now' } })
  t.throws(() => openDatabase(path, { busyTimeoutMs: 50 }), { name: 'StartupError', message: /trove\.db is in use by another process: one Trove runs per SQLite file/ })
  t.notOk(existsSync(`${path}-shm`), 'the WAL index is in the opener\'s memory, not a shared file')
  await store.close()
  const next = openDatabase(path, { busyTimeoutMs: 50 })
  t.equal(next.prepare('SELECT count(*) FROM teams').pluck().get(), 1, 'opens once the first has closed')
  next.close()
})

t.test('the store opens an existing file and its data is there', async t => {
  const path = join(t.testdir(), 'trove.db')
  const first = createSqliteStore(path)
  await first.initialise({ keyring: [], defaultTeam: { id: 'team_x', name: 'default', kdfId: 0, createdAt: 'now' } })
  await first.close()
  const second = createSqliteStore(path)
  t.same((await second.listTeams()).map(team => team.name), ['default'])
  await second.close()
  const raw = new Database(path, { readonly: true })
  t.equal(raw.prepare('SELECT count(*) FROM teams').pluck().get(), 1)
  raw.close()
})
