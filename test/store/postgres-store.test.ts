import { randomBytes } from 'node:crypto'
import pg from 'pg'
import t, { type Test } from 'tap'
import { createAuditHasher, verifyChain, type AuditEvent, type AuditRow } from '../../src/audit/chain.js'
import { secretNameKey } from '../../src/services/names.js'
import { isConnectionError, translate } from '../../src/store/postgres/errors.js'
import { migratePostgres, readPostgresMigrations } from '../../src/store/postgres/migrate.js'
import { LOCK_CLASS, LOCK_KEYRING, LOCK_MIGRATIONS } from '../../src/store/postgres/locks.js'
import { createPostgresStore, type PostgresStoreOptions } from '../../src/store/postgres/postgres-store.js'
import { VersionConflict, type Store, type TeamRecord } from '../../src/store/store.js'
import type { KeyringRecord } from '../../src/crypto/keyring.js'
import { openTrove } from '../../src/trove.js'
import { adminQuery, testSchema } from '../fixtures/postgres.js'
import { upsertInput as upsert } from '../fixtures/upserts.js'

/**
 * The PostgreSQL store on its own: migrations under the advisory lock, and the rules several
 * processes sharing one database rely on, checked with two stores (two pools) on one schema.
 * The behaviour every store shares is the route suite's, run with TROVE_TEST_STORE=postgres.
 */

const AUDIT_KEY = randomBytes(32)

async function twoStores (t: Test, options?: PostgresStoreOptions): Promise<{ a: Store, b: Store, team: TeamRecord, url: string }> {
  const { url } = await testSchema(t)
  const a = await createPostgresStore(url, options)
  const b = await createPostgresStore(url, options)
  t.teardown(async () => { await a.close(); await b.close() })
  const now = new Date().toISOString()
  t.equal(await a.initialise({
    // the store checks that values are sealed under the stored active data-key term (1 here)
    keyring: [
      { purpose: 'check', term: 0, state: 'active', wrapped: Buffer.from('check'), createdAt: now },
      { purpose: 'dek', term: 1, state: 'active', wrapped: Buffer.from('dek 1'), createdAt: now }
    ],
    defaultTeam: { id: 'team_default', name: 'default', kdfId: 1, createdAt: now }
  }), true)
  for (const store of [a, b]) store.setAuditHasher(createAuditHasher(AUDIT_KEY))
  return { a, b, team: (await a.findTeamByName('default'))!, url }
}

function event (detail: string): AuditEvent {
  return { createdAt: new Date().toISOString(), eventType: 'SECRET_UPDATED', outcome: 'success', keyId: null, teamId: null, teamName: null, secretName: 'x', clientIp: null, requestId: null, detail }
}

async function verify (store: Store) {
  async function * pages (): AsyncGenerator<AuditRow[]> {
    let after = 0
    for (;;) {
      const rows = await store.auditRows(after, 500)
      if (rows.length === 0) return
      yield rows
      after = rows.at(-1)!.id
    }
  }
  return await verifyChain(createAuditHasher(AUDIT_KEY), pages())
}

t.test('migrations: applied once, in order, by one of two processes starting together', async t => {
  const { url } = await testSchema(t)
  const pools = [new pg.Pool({ connectionString: url }), new pg.Pool({ connectionString: url })]
  t.teardown(() => Promise.all(pools.map(pool => pool.end())))
  const counts = await Promise.all(pools.map(pool => migratePostgres(pool)))
  t.same(counts.sort(), [0, readPostgresMigrations().length], 'the second runner waited and found the schema done')
  t.equal(await migratePostgres(pools[0]!), 0, 'nothing left to apply')
  const tables = (await pools[0]!.query('SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1')).rows.map(r => r.tablename)
  t.same(tables, ['api_keys', 'audit_log', 'keyring', 'schema_migrations', 'secret_versions', 'secrets', 'teams'])
})

t.test('migrations: a database from a newer Trove, or an edited migration, is refused', async t => {
  const { url, schema } = await testSchema(t)
  await (await createPostgresStore(url)).close()
  await adminQuery(`INSERT INTO ${schema}.schema_migrations VALUES (9999, '9999_future.sql', 'x', 'now')`)
  await t.rejects(createPostgresStore(url), { name: 'StartupError', message: /newer than this Trove/ })
  await adminQuery(`DELETE FROM ${schema}.schema_migrations WHERE version = 9999`)
  await adminQuery(`UPDATE ${schema}.schema_migrations SET checksum = 'edited' WHERE version = 1`)
  await t.rejects(createPostgresStore(url), { name: 'StartupError', message: /changed after it was applied/ })
})

t.test('an unreachable database stops the start with one clear line, never the password', async t => {
  const err = await createPostgresStore('postgres://trove:hunter2-secret@127.0.0.1:1/trove', { connectTimeoutMs: 2000 }).then(() => undefined, (e: unknown) => e as Error)
  t.match(err, { name: 'StartupError', message: /^cannot reach PostgreSQL at 127\.0\.0\.1:1\/trove \(ECONNREFUSED\)/ })
  t.notOk(err?.message.includes('hunter2'), 'no password in the message')
})

t.test('connection failures become 503 storage_unavailable; statement errors do not', async t => {
  const connectionErrors = [
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    Object.assign(new Error('connection failure'), { code: '08006' }),
    new Error('Connection terminated unexpectedly'),
    new Error('timeout exceeded when trying to connect')
  ]
  for (const err of connectionErrors) {
    t.ok(isConnectionError(err), err.message)
    t.match(translate(err), { statusCode: 503, code: 'storage_unavailable', headers: { 'retry-after': '1' } })
  }
  const timedOut = Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' })
  t.notOk(isConnectionError(timedOut), 'a statement past the timeout leaves a usable connection')
  t.match(translate(timedOut), { statusCode: 503, code: 'storage_unavailable' }, 'but is answered as the database being away')
  const unique = Object.assign(new Error('duplicate key value'), { code: '23505' })
  t.notOk(isConnectionError(unique))
  t.equal(translate(unique), unique, 'passed through unchanged')
})

t.test('two Troves starting together on an empty database: one sets it up, both use it', async t => {
  const { url } = await testSchema(t)
  const masterKey = randomBytes(32).toString('base64')
  const dirs = [t.testdir({ a: {}, b: {} })].flatMap(dir => [`${dir}/a`, `${dir}/b`])
  const troves = await Promise.all(dirs.map(dataDir => openTrove({ dataDir, dbPath: `${dataDir}/unused.db`, databaseUrl: url, masterKey }, { warn () {} })))
  t.teardown(() => Promise.all(troves.map(trove => trove.close())))
  t.equal(troves.filter(trove => trove.generatedAdminKey !== undefined).length, 1, 'only the process that set it up shows an admin key')
  t.same(Buffer.from(troves[0]!.keyring.auditKey), Buffer.from(troves[1]!.keyring.auditKey), 'one keyring')
  t.equal(await troves[0]!.store.countApiKeys(), 1)
  t.same((await troves[1]!.store.listTeams()).map(team => team.name), ['default'])
})

t.test('concurrent upserts of one name from two processes: versions 1..N, no update lost', async t => {
  const { a, b, team } = await twoStores(t)
  const writes = Array.from({ length: 60 }, (_, i) => ({ store: i % 2 === 0 ? a : b, value: `v${i}` }))
  // every write of a new name races to create it: one creates, the others add versions
  await Promise.all(writes.map(w => w.store.upsertSecrets([upsert(team, 'shared-name', w.value, { audit: event(w.value) })])))
  const secret = (await b.findSecret(team.id, secretNameKey('shared-name')))!
  t.equal(secret.version, 60)
  const versions = await a.listVersions(secret.id)
  t.same(versions.map(v => v.version), Array.from({ length: 60 }, (_, i) => 60 - i), 'dense, no duplicates')
  const values = await Promise.all(versions.map(async v => (await a.readVersion(secret.id, v.version))!.blob.toString()))
  t.same(values.sort(), writes.map(w => w.value).sort(), 'every write is one version')
  t.same((await a.listSecrets([team.id])).length, 1, 'one secret, not one per racing creator')
  t.match(await verify(a), { valid: true, entries: 60 }, 'one unbroken audit chain')
})

t.test('check-and-set holds across processes: one of two writers expecting version 1 wins', async t => {
  const { a, b, team } = await twoStores(t)
  await a.upsertSecrets([upsert(team, 'cas', 'first')])
  for (let round = 1; round <= 10; round++) {
    const outcomes = await Promise.allSettled([a, b].map((store, i) =>
      store.upsertSecrets([upsert(team, 'cas', `round ${round} from ${i}`, { expected: round })])))
    t.equal(outcomes.filter(o => o.status === 'fulfilled').length, 1, `round ${round}: one winner`)
    const lost = outcomes.find(o => o.status === 'rejected')
    t.ok(lost?.status === 'rejected' && lost.reason instanceof VersionConflict && lost.reason.current === round + 1, `round ${round}: the loser sees the winner's version`)
  }
  const deletes = await Promise.allSettled([a, b].map(store => store.trashSecret(team.id, 'cas', { now: new Date().toISOString(), purgeAt: '9999', expected: 11 })))
  t.same(deletes.map(d => d.status === 'fulfilled' ? d.value?.version : 'conflict').sort(), [11, 'conflict'].sort(), 'a conditional delete wins once')
})

t.test('upsertSecrets is all or nothing, also when another process moved a name meanwhile', async t => {
  const { a, b, team } = await twoStores(t)
  await a.upsertSecrets([upsert(team, 'taken', 'exists')])
  await t.rejects(b.upsertSecrets([upsert(team, 'fresh', 'new'), upsert(team, 'other', 'x'), upsert(team, 'taken', 'y', { expected: 'absent' })]), VersionConflict)
  t.same((await a.listSecrets([team.id])).map(s => s.name), ['taken'], 'none of the batch was stored')
  const both = await Promise.all([
    a.upsertSecrets(['p', 'q', 'r'].map(name => upsert(team, name, 'from a'))),
    b.upsertSecrets(['r', 'q', 'p'].map(name => upsert(team, name, 'from b')))
  ])
  t.equal(both.flat().length, 6, 'batches over the same names in opposite orders do not deadlock')
  for (const name of ['p', 'q', 'r']) t.equal((await a.findSecret(team.id, name))!.version, 2, name)

  // calls of one turn share a transaction (group commit); each is still all or nothing on its own
  const grouped = await Promise.allSettled([
    a.upsertSecrets([upsert(team, 'g1', 'one')]),
    a.upsertSecrets([upsert(team, 'g2', 'two'), upsert(team, 'taken', 'z', { expected: 5 })]),
    a.upsertSecrets([upsert(team, 'g3', 'three'), upsert(team, 'g1', 'one again')])
  ])
  t.same(grouped.map(o => o.status), ['fulfilled', 'rejected', 'fulfilled'], 'only the conflicting call fails')
  t.equal(await a.findSecret(team.id, 'g2'), undefined, 'nothing of the failed call is stored')
  t.equal((await b.findSecret(team.id, 'g1'))!.version, 2, 'a later call in the group sees an earlier one\'s write')
  t.ok(await b.findSecret(team.id, 'g3'))
})

t.test('the audit chain stays one chain under concurrent writers', async t => {
  const { a, b, team } = await twoStores(t)
  await Promise.all([
    ...Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).appendAudit([event(`group ${i} first`), event(`group ${i} second`)])),
    ...Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? b : a).upsertSecrets([upsert(team, `s${i % 3}`, `value ${i}`, { audit: event(`write ${i}`) })]))
  ])
  const result = await verify(b)
  t.match(result, { valid: true, entries: 60, head: { id: 60 } })
  const groups = (await a.auditRows(0, 100)).filter(row => row.detail?.startsWith('group'))
  for (let i = 0; i < groups.length; i += 2) t.equal(groups[i + 1]!.id, groups[i]!.id + 1, 'a group is written together')
})

t.test('a key revoked through one process is refused by the other at once', async t => {
  const { a, b } = await twoStores(t)
  const hash = randomBytes(32)
  await a.insertApiKey({ id: 'k1', name: 'k', hash, scopes: ['secrets:list'], teams: null, createdAt: 'now', expiresAt: null, lastUsedAt: null, revokedAt: null, createdBy: null, grantMac: null })
  t.equal((await b.findApiKeyByHash(hash))?.revokedAt, null)
  const seal = (key: { id: string, revokedAt: string | null }) => Buffer.from(`${key.id} ${key.revokedAt}`)
  const revokes = await Promise.all([a, b].map(store => store.revokeApiKey('k1', new Date().toISOString(), seal, event('revoke'))))
  t.ok(revokes.every(r => r?.revokedAt !== null))
  t.same((await a.findApiKeyById('k1'))?.grantMac, seal(revokes[0]!), 'the MAC written is the one for the revoked row')
  t.type((await b.findApiKeyByHash(hash))?.revokedAt, 'string', 'no cache: the other store sees it')
  t.equal((await a.listAudit({ teamIds: null, limit: 10 })).length, 1, 'two revokes at once record one')
})

t.test('two processes purging the trash at once destroy and record each secret once', async t => {
  const { a, b, team } = await twoStores(t)
  const names = Array.from({ length: 10 }, (_, i) => `old${i}`)
  await a.upsertSecrets(names.map(name => upsert(team, name, 'v')))
  for (const name of names) await a.trashSecret(team.id, name, { now: '2000-01-01T00:00:00.000Z', purgeAt: '2000-01-08T00:00:00.000Z' })
  const counts = await Promise.all([a, b].map(store => store.purgeExpired(new Date().toISOString())))
  t.equal(counts[0]! + counts[1]!, 10)
  t.equal((await a.listAudit({ teamIds: null, eventType: 'SECRET_PURGED', limit: 100 })).length, 10)
  t.match(await verify(b), { valid: true, entries: 10 })
})

// ---------------------------------------------------------------------------------------------
// Keyring changes with several processes: the store's side of rotation and rekey (the keyring's
// side is test/crypto/keyring.test.ts; whole processes, test/integration/postgres-multi-process).

const CHECK = Buffer.from('check')

function dataKey (term: number): KeyringRecord {
  return { purpose: 'dek', term, state: 'active', wrapped: Buffer.from(`dek ${term}`), createdAt: new Date().toISOString() }
}

const sealedUnder = (term: number, value: string) => ({ seal: () => ({ term, blob: Buffer.from(value) }) })

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

t.test('a value sealed under a term that is not the stored active one is refused, and nothing is stored', async t => {
  const { a, b, team } = await twoStores(t)
  await a.upsertSecrets([upsert(team, 'kept', 'v1')])
  await a.addDataKey(dataKey(2), CHECK)

  // b seals under term 1, as a process that has not reloaded its keyring since a rotated
  await t.rejects(b.upsertSecrets([upsert(team, 'kept', 'v2')]), { name: 'KeyringChanged', statusCode: 409, code: 'keyring_changed' })
  const group = await Promise.allSettled([b.upsertSecrets([upsert(team, 'x', '1')]), b.upsertSecrets([upsert(team, 'y', '1')])])
  t.match(group, [{ status: 'rejected', reason: { name: 'KeyringChanged' } }, { status: 'rejected', reason: { name: 'KeyringChanged' } }], 'a group commit goes back whole')
  t.equal((await a.findSecret(team.id, secretNameKey('kept')))!.version, 1, 'no version added')
  t.equal(await a.findSecret(team.id, secretNameKey('x')), undefined)

  await b.upsertSecrets([upsert(team, 'kept', 'v2', sealedUnder(2, 'v2'))])
  t.same([...(await a.termUsage())].sort(), [[1, 1], [2, 1]], 'sealed again under the active term, it is stored')
  const secret = (await a.findSecret(team.id, secretNameKey('kept')))!
  await t.rejects(a.rewrapVersions([{ secretId: secret.id, version: 2, oldBlob: Buffer.from('v2'), term: 1, blob: Buffer.from('v2 under 1') }]),
    { name: 'KeyringChanged' }, 'rotation\'s re-encryption is held to the active term too')
  t.equal(await a.rewrapVersions([{ secretId: secret.id, version: 1, oldBlob: Buffer.from('v1'), term: 2, blob: Buffer.from('v1 under 2') }]), 1)
})

t.test('a new data key is refused when another process rotated or rekeyed since the caller read the keyring', async t => {
  const { a, b } = await twoStores(t)
  await a.addDataKey(dataKey(2), CHECK)
  await t.rejects(b.addDataKey(dataKey(2), CHECK), { name: 'KeyringChanged', message: /rotated/ }, 'b did not know term 2')
  await t.rejects(b.addDataKey(dataKey(3), Buffer.from('the check value before a rekey')), { name: 'KeyringChanged', message: /rekeyed/ },
    'b\'s key would be wrapped under a master key that is gone')
  const together = await Promise.allSettled([a.addDataKey(dataKey(3), CHECK), b.addDataKey(dataKey(3), CHECK)])
  t.same(together.map(r => r.status).sort(), ['fulfilled', 'rejected'], 'two rotations at once: one adds the term')
  const keys = (await a.listKeyring()).filter(r => r.purpose === 'dek')
  t.same(keys.map(r => [r.term, r.state]), [[1, 'decrypt-only'], [2, 'decrypt-only'], [3, 'active']], 'one active term')
})

t.test('a term is retired only when no value uses it, counted after the writers in flight committed', async t => {
  const { a, team, url } = await twoStores(t)
  await a.upsertSecrets([upsert(team, 'old', 'v')])
  await a.addDataKey(dataKey(2), CHECK)
  t.equal(await a.retireDataKey(2), false, 'never the active term')
  t.equal(await a.retireDataKey(1), false, 'not while a value uses it')
  const secret = (await a.findSecret(team.id, secretNameKey('old')))!
  t.equal(await a.rewrapVersions([{ secretId: secret.id, version: 1, oldBlob: Buffer.from('v'), term: 2, blob: Buffer.from('v under 2') }]), 1)

  // A writer that holds the keyring lock as every sealing transaction does, and (behind the
  // store's back) stores a value under term 1 as a writer with a stale keyring would have.
  const writer = new pg.Client({ connectionString: url })
  await writer.connect()
  t.teardown(() => writer.end())
  await writer.query('BEGIN')
  await writer.query('SELECT pg_advisory_xact_lock_shared($1, $2)', [LOCK_CLASS, LOCK_KEYRING])
  await writer.query("INSERT INTO secret_versions (secret_id, version, term, blob, fingerprint, created_at) VALUES ($1, 2, 1, 'late', 'fp', 'now')", [secret.id])
  let settled = false
  const retiring = a.retireDataKey(1).finally(() => { settled = true })
  await sleep(300)
  t.notOk(settled, 'the retire waits for the writer')
  await writer.query('COMMIT')
  t.equal(await retiring, false, 'and then counts its value: the term stays')
  t.same((await a.listKeyring()).filter(r => r.purpose === 'dek').map(r => r.term), [1, 2])

  await writer.query('DELETE FROM secret_versions WHERE version = 2')
  t.equal(await a.retireDataKey(1), true, 'retired once nothing uses it')
  t.equal(await a.retireDataKey(1), true, 'a term already retired (by another process) counts as retired')
  t.same((await a.listKeyring()).filter(r => r.purpose === 'dek').map(r => r.term), [2])
})

t.test('rekey replaces the keyring only while it is the one that was rewrapped', async t => {
  const { a, b } = await twoStores(t)
  const read = await a.listKeyring()
  await b.addDataKey(dataKey(2), CHECK)
  const rewrapped = (records: KeyringRecord[]) => records.map(r => ({ ...r, wrapped: Buffer.from(`rewrapped ${r.purpose} ${r.term}`) }))
  await t.rejects(a.replaceKeyring(rewrapped(read)), { name: 'KeyringChanged' }, 'another process rotated in between')
  t.same((await a.listKeyring()).map(r => `${r.purpose}:${r.term}:${r.state}`), ['check:0:active', 'dek:1:decrypt-only', 'dek:2:active'], 'no data key dropped')
  await a.replaceKeyring(rewrapped(await a.listKeyring()))
  t.same((await b.listKeyring()).map(r => r.wrapped.toString()), ['rewrapped check 0', 'rewrapped dek 1', 'rewrapped dek 2'])
})

t.test('a statement blocked past the query timeout answers 503 storage_unavailable, and the store goes on', async t => {
  const { a, team, url } = await twoStores(t, { queryTimeoutMs: 300 })
  const locker = new pg.Client({ connectionString: url })
  await locker.connect()
  t.teardown(() => locker.end())
  await locker.query('BEGIN')
  await locker.query('LOCK TABLE secrets IN ACCESS EXCLUSIVE MODE')

  const started = performance.now()
  const err = await a.listSecrets([team.id]).then(() => undefined, (e: unknown) => e)
  const waited = performance.now() - started
  t.match(err, { statusCode: 503, code: 'storage_unavailable', headers: { 'retry-after': '1' } }, 'a read')
  t.ok(waited >= 250 && waited < 1500, `answered after ${Math.round(waited)} ms`)
  const writes = await Promise.allSettled([a.upsertSecrets([upsert(team, 'one', '1')]), a.upsertSecrets([upsert(team, 'two', '2')])])
  t.match(writes, [{ status: 'rejected', reason: { code: 'storage_unavailable' } }, { status: 'rejected', reason: { code: 'storage_unavailable' } }],
    'writes too, a group commit included')
  await t.rejects(a.trashSecret(team.id, 'one', { now: 'now', purgeAt: 'later' }), { code: 'storage_unavailable' })

  await locker.query('ROLLBACK')
  await a.upsertSecrets([upsert(team, 'one', '1')])
  t.same((await a.listSecrets([team.id])).map(s => s.name), ['one'], 'it answers again once the lock is gone')
})

t.test('maintenance work is not cut by the query timeout: a migration waiting for another, rotation batches', async t => {
  const { url } = await testSchema(t)
  const holder = new pg.Client({ connectionString: url })
  await holder.connect()
  t.teardown(() => holder.end())
  await holder.query('SELECT pg_advisory_lock($1, $2)', [LOCK_CLASS, LOCK_MIGRATIONS])
  const opening = createPostgresStore(url, { queryTimeoutMs: 200 })
  await sleep(700)
  await holder.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_CLASS, LOCK_MIGRATIONS])
  const store = await opening
  t.teardown(() => store.close())
  t.pass('the start waited 700 ms for another process\'s migration with a 200 ms query timeout')

  await holder.query('BEGIN')
  await holder.query('LOCK TABLE secret_versions IN ACCESS EXCLUSIVE MODE')
  const usage = store.termUsage()
  const batch = store.versionsOutsideTerm(1, 500)
  await sleep(700)
  await holder.query('COMMIT')
  t.same(await usage, new Map(), 'rotation\'s count waited for the lock')
  t.same(await batch, [], 'and so did its batch')
})
