import { existsSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import { createAuditHasher, verifyChain, type AuditEvent, type AuditRow } from '../../src/audit/chain.js'
import { VersionConflict, type Store, type TeamRecord, type UpsertSecretInput } from '../../src/store/store.js'
import { openDatabase, WAL_AUTOCHECKPOINT_PAGES } from '../../src/store/sqlite/db.js'
import { migrate, readMigrations } from '../../src/store/sqlite/migrate.js'
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.js'
import { upsertInput } from '../fixtures/upserts.js'

const AUDIT_KEY = randomBytes(32)

/** An upsert that records an audit event naming the value, so the chain shows which writes were stored. */
function upsert (team: TeamRecord, name: string, value: string, extra: Partial<UpsertSecretInput> = {}): UpsertSecretInput {
  const audit: AuditEvent = { createdAt: 'now', eventType: 'SECRET_UPDATED', outcome: 'success', keyId: null, teamId: team.id, teamName: team.name, secretName: name, clientIp: null, requestId: null, detail: `${name}=${value}` }
  return upsertInput(team, name, value, { audit, ...extra })
}

async function auditDetails (store: Store): Promise<{ valid: boolean, details: (string | null)[] }> {
  const rows = await store.auditRows(0, 1000)
  async function * pages (): AsyncGenerator<AuditRow[]> { yield rows }
  return { valid: (await verifyChain(createAuditHasher(AUDIT_KEY), pages())).valid, details: rows.map(row => row.detail) }
}

t.test('every open is WAL with synchronous=FULL, also on reopen', async t => {
  const path = join(t.testdir(), 'trove.db')
  for (let i = 0; i < 2; i++) {
    const db = openDatabase(path)
    t.equal(db.pragma('journal_mode', { simple: true }), 'wal')
    t.equal(db.pragma('synchronous', { simple: true }), 2, `open ${i + 1}`)
    t.equal(db.pragma('secure_delete', { simple: true }), 1)
    t.equal(db.pragma('foreign_keys', { simple: true }), 1)
    t.equal(db.pragma('wal_autocheckpoint', { simple: true }), WAL_AUTOCHECKPOINT_PAGES)
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

t.test('upserts of one turn commit together, and each call is all or nothing', async t => {
  const store = createSqliteStore(join(t.testdir(), 'trove.db'))
  t.teardown(() => store.close())
  await store.initialise({ keyring: [], defaultTeam: { id: 'team_x', name: 'default', kdfId: 0, createdAt: 'now' } })
  store.setAuditHasher(createAuditHasher(AUDIT_KEY))
  const team = (await store.findTeamByName('default'))!
  await store.upsertSecrets([upsert(team, 'taken', 'v1')])

  // a conflict is found before the call writes anything
  const first = await Promise.allSettled([
    store.upsertSecrets([upsert(team, 'g1', 'one')]),
    store.upsertSecrets([upsert(team, 'taken', 'v2', { expected: 5 })]),
    store.upsertSecrets([upsert(team, 'g3', 'three'), upsert(team, 'g1', 'one again')])
  ])
  t.same(first.map(o => o.status), ['fulfilled', 'rejected', 'fulfilled'], 'only the conflicting call fails')
  t.type((first[1] as PromiseRejectedResult).reason, VersionConflict)
  t.equal((await store.findSecret(team.id, 'g1'))!.version, 2, 'a later call in the group sees an earlier one\'s write')
  t.equal((await store.findSecret(team.id, 'taken'))!.version, 1)

  // calls that fail after writing part of their inputs, each in a group of its own: a conflict on
  // the second input, a value that cannot be sealed; the calls around them are stored, nothing of theirs is
  const failures: Array<[string, UpsertSecretInput[], object]> = [
    ['a conflict', [upsert(team, 'h2', 'two'), upsert(team, 'taken', 'v3', { expected: 5 })], { name: 'VersionConflict' }],
    ['a failed seal', [upsert(team, 'h3', 'three'), upsert(team, 'h4', 'four', { seal: () => { throw new Error('cannot seal') } })], { message: 'cannot seal' }]
  ]
  for (const [what, inputs, reason] of failures) {
    const outcomes = await Promise.allSettled([
      store.upsertSecrets([upsert(team, 'h1', `before ${what}`)]),
      store.upsertSecrets(inputs),
      store.upsertSecrets([upsert(team, 'h1', `after ${what}`)])
    ])
    t.same(outcomes.map(o => o.status), ['fulfilled', 'rejected', 'fulfilled'], what)
    t.match((outcomes[1] as PromiseRejectedResult).reason, reason)
    t.equal(await store.findSecret(team.id, inputs[0]!.nameKey), undefined, `${inputs[0]!.name}, written before the failure, is not stored`)
  }
  t.equal((await store.findSecret(team.id, 'h1'))!.version, 4)
  t.equal((await store.findSecret(team.id, 'taken'))!.version, 1)
  t.same(await auditDetails(store), {
    valid: true,
    details: ['taken=v1; created, version 1', 'g1=one; created, version 1', 'g3=three; created, version 1',
      'g1=one again; updated, version 2', 'h1=before a conflict; created, version 1', 'h1=after a conflict; updated, version 2',
      'h1=before a failed seal; updated, version 3', 'h1=after a failed seal; updated, version 4']
  }, 'the audit chain holds the stored writes, and only those')
})

/** The current value as a read of it sees it, and a kept version as `?version=` sees it. */
async function valueOf (store: Store, team: TeamRecord, name: string, version?: number): Promise<[number, string] | undefined> {
  const found = await store.findSecretWithVersion(team.kdfId, name, version)
  return found?.version === undefined ? undefined : [found.version.version, found.version.blob.toString()]
}

t.test('a secret\'s copy of its current value follows every write, and the integrity check compares it', async t => {
  const path = join(t.testdir(), 'trove.db')
  let store = createSqliteStore(path)
  await store.initialise({ keyring: [], defaultTeam: { id: 'team_x', name: 'default', kdfId: 0, createdAt: 'now' } })
  store.setAuditHasher(createAuditHasher(AUDIT_KEY))
  const team = (await store.findTeamByName('default'))!
  const now = new Date().toISOString()
  const later = new Date(Date.now() + 86_400_000).toISOString()

  await store.upsertSecrets([upsert(team, 'api', 'one')])
  t.same(await valueOf(store, team, 'api'), [1, 'one'], 'a new secret')
  await store.upsertSecrets([upsert(team, 'api', 'two'), upsert(team, 'api', 'three', { maxVersions: 2 })])
  t.same(await valueOf(store, team, 'api'), [3, 'three'], 'each new version, in one call too')
  t.equal((await store.findSecret(team.id, 'api'))!.fingerprint, 'fp:three', 'and its fingerprint')
  t.same(await valueOf(store, team, 'api', 2), [2, 'two'], 'a kept version from its own row')
  t.equal(await valueOf(store, team, 'api', 1), undefined, 'a pruned version is gone')

  t.equal(await store.rewrapVersions([{ secretId: (await store.findSecret(team.id, 'api'))!.id, version: 3, oldBlob: Buffer.from('three'), term: 2, blob: Buffer.from('THREE') }]), 1)
  t.same((await store.findSecretWithVersion(team.kdfId, 'api'))!.version, { version: 3, term: 2, blob: Buffer.from('THREE') }, 'rewrapped with its version')
  t.equal(await store.retireDataKey(1), false, 'version 2 still uses term 1')

  await store.trashSecret(team.id, 'api', { now, purgeAt: later })
  t.equal(await valueOf(store, team, 'api'), undefined, 'a trashed secret has no value')
  await store.restoreSecret(team.id, 'api', now)
  t.same(await valueOf(store, team, 'api'), [3, 'THREE'], 'restored with its value')
  t.same(await store.checkIntegrity(), [])
  await store.close()

  // edited as someone with the file would: one part of the copy no longer matches its version's row
  const edits: Array<[string, unknown]> = [['current_blob', Buffer.from('other')], ['current_term', 9], ['current_fingerprint', 'fp:other']]
  for (const [column, value] of edits) {
    const raw = new Database(path)
    raw.prepare(`UPDATE secrets SET ${column} = ? WHERE name = 'api'`).run(value)
    const id = raw.prepare("SELECT id FROM secrets WHERE name = 'api'").pluck().get()
    raw.close()
    store = createSqliteStore(path)
    t.same(await store.checkIntegrity(), [`secret ${String(id)}: its copy of version 3 differs from that version's row`], column)
    await store.close()
    const repair = new Database(path)
    repair.exec(`UPDATE secrets SET (current_term, current_blob, current_fingerprint) =
      (SELECT term, blob, fingerprint FROM secret_versions v WHERE v.secret_id = secrets.id AND v.version = secrets.current_version)`)
    repair.close()
  }
})

t.test('migration 0003 gives the secrets of an older database their copies', async t => {
  const path = join(t.testdir(), 'trove.db')
  const db = openDatabase(path)
  migrate(db, readMigrations().filter(m => m.version < 3))
  db.exec(`INSERT INTO teams (id, name, created_at) VALUES ('team_x', 'default', 'now');
    INSERT INTO secrets (id, team_kdf_id, name, name_key, current_version, created_at, updated_at) VALUES ('sec_a', 1, 'api', 'api', 2, 'now', 'now');
    INSERT INTO secret_versions (secret_id, version, term, blob, fingerprint, created_at) VALUES ('sec_a', 1, 1, x'6f6e65', 'f1', 'now'), ('sec_a', 2, 1, x'74776f', 'f2', 'now')`)
  db.close()
  const store = createSqliteStore(path)
  t.teardown(() => store.close())
  const team = (await store.findTeamByName('default'))!
  t.same(await valueOf(store, team, 'api'), [2, 'two'])
  t.equal((await store.findSecret(team.id, 'api'))!.fingerprint, 'f2')
  t.same(await valueOf(store, team, 'api', 1), [1, 'one'])
  t.same(await store.checkIntegrity(), [])
})
