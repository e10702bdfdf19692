import { Writable } from 'node:stream'
import { join } from 'node:path'
import pino from 'pino'
import t, { type Test } from 'tap'
import { createCipher } from '../../src/crypto/cipher.js'
import { readMasterKeyFile } from '../../src/crypto/master-key.js'
import { loadSodium } from '../../src/crypto/sodium.js'
import Database from 'better-sqlite3'
import pg from 'pg'
import { buildApp } from '../../src/app.js'
import { openTrove, type OpenOptions } from '../../src/trove.js'
import { buildTestApp, TEST_KEY, type TestApp } from '../fixtures/app.js'
import { testSchema } from '../fixtures/postgres.js'

/**
 * API key rows edited as someone with write access to the database but not the master key
 * would (security.md: tampering with rows is in scope): each edit that widens, prolongs or
 * revives a key makes Trove refuse the key rather than obey the row. Both stores: on
 * PostgreSQL a database administrator usually has exactly that access.
 */
const STORES = ['sqlite', 'postgres'] as const

/** An edit that widens a key to admin; PostgreSQL's scopes column is jsonb, so the text is cast there. */
const widenToAdmin = (store: typeof STORES[number]) =>
  `UPDATE api_keys SET scopes = ${store === 'postgres' ? '?::jsonb' : '?'} WHERE id = ?`

interface Key { id: string, key: string }

async function setup (t: Test, store: typeof STORES[number]) {
  const lines: string[] = []
  const logs = new Writable({ write (chunk, _encoding, done) { lines.push(String(chunk)); done() } })
  const app: TestApp = await buildTestApp(t, { dbPath: join(t.testdir(), 'trove.db'), store, loggerInstance: pino({ level: 'info' }, logs) })
  const team = (await app.call({ method: 'POST', url: '/v1/teams', payload: { name: 'ml' } })).json()
  const create = async (payload: object): Promise<Key> => (await app.call({ method: 'POST', url: '/v1/api_keys', payload })).json()
  const reader = await create({ name: 'reader', scopes: ['secrets:list'] })
  const bound = await create({ name: 'bound', scopes: ['admin'], teams: [team.id] })
  const expiring = await create({ name: 'expiring', scopes: ['secrets:list'], expires_at: new Date(Date.now() + 3_600_000).toISOString() })
  const revoked = await create({ name: 'revoked', scopes: ['secrets:list'] })
  await app.call({ method: 'DELETE', url: `/v1/api_keys/${revoked.id}` })
  const status = async (key: Key, url = '/v1/secrets') => (await app.call({ method: 'GET', url, key: key.key })).statusCode
  return { ...app, lines, reader, bound, expiring, revoked, status }
}

for (const store of STORES) {
  t.test(`${store}: a key row edited outside Trove is refused, and every other key keeps working`, async t => {
    const s = await setup(t, store)
    t.equal(await s.status(s.reader, '/v1/api_keys'), 403, 'before: the reader may not manage keys')
    t.equal(await s.status(s.bound, '/v1/sys/rotation'), 403, 'before: the bound admin key may not use /v1/sys')

    const edits: [string, Key, string, unknown[]][] = [
      ['scopes widened to admin', s.reader, widenToAdmin(store), ['["admin"]']],
      ['team binding removed', s.bound, 'UPDATE api_keys SET teams = NULL WHERE id = ?', []],
      ['expiry removed', s.expiring, 'UPDATE api_keys SET expires_at = NULL WHERE id = ?', []],
      ['revocation cleared', s.revoked, 'UPDATE api_keys SET revoked_at = NULL WHERE id = ?', []]
    ]
    for (const [, key, text, params] of edits) await s.rawSql(text, [...params, key.id])

    for (const [what, key] of edits) {
      const res = await s.call({ method: 'GET', url: '/v1/api_keys', key: key.key })
      t.equal(res.statusCode, 401, `${what}: refused`)
      t.match(res.json(), { code: 'invalid_api_key', message: 'the API key is not valid' }, `${what}: the answer says nothing of the row`)
    }
    t.equal(await s.status({ id: 'admin', key: TEST_KEY }), 200, 'the untouched admin key works')
    const listed = (await s.call({ method: 'GET', url: '/v1/api_keys' })).json().api_keys as { id: string, intact: boolean, scopes: string[] }[]
    t.same(listed.filter(k => !k.intact).map(k => k.id).sort(), edits.map(([, key]) => key.id).sort(), 'the key list marks exactly the edited rows')
    t.same(listed.find(k => k.id === s.reader.id)?.scopes, ['admin'], 'showing what was written, flagged')
    const refusals = s.lines.map(line => JSON.parse(line)).filter(entry => entry.reason === 'tampered')
    t.same(refusals.map(entry => [entry.level, entry.keyId]).sort(), edits.map(([, key]) => [50, key.id]).sort(),
      'each refusal is logged as an error naming the key')

    const audit = (await s.call({ method: 'GET', url: '/v1/audit_logs?event_type=AUTH_FAILED' })).json().audit_logs as { key_id: string }[]
    t.same(audit.map(e => e.key_id).sort(), edits.map(([, key]) => key.id).sort(), 'each refusal is audited, naming the key')
    const metrics = (await s.call({ method: 'GET', url: '/metrics', key: null })).body
    t.match(metrics, `trove_auth_failures_total{reason="tampered"} ${edits.length}`, 'and counted by its reason')
  })

  t.test(`${store}: a MAC removed or copied from another row does not pass either`, async t => {
    const s = await setup(t, store)
    const macOf = async (key: Key) => (await s.rawSql('SELECT grant_mac FROM api_keys WHERE id = ?', [key.id]))[0]!.grant_mac as Buffer
    t.equal((await macOf(s.reader)).length, 32, 'a created key has its MAC')
    await s.rawSql('UPDATE api_keys SET grant_mac = ? WHERE id = ?', [await macOf(s.expiring), s.reader.id])
    await s.rawSql('UPDATE api_keys SET grant_mac = NULL WHERE id = ?', [s.expiring.id])
    t.equal(await s.status(s.reader), 401, 'another row\'s MAC')
    t.equal(await s.status(s.expiring), 401, 'no MAC')
    t.equal(await s.status(s.bound), 200, 'the others work')
  })

  t.test(`${store}: revoking a tampered key seals it as revoked`, async t => {
    const s = await setup(t, store)
    await s.rawSql(widenToAdmin(store), ['["admin"]', s.reader.id])
    const revoke = await s.call({ method: 'DELETE', url: `/v1/api_keys/${s.reader.id}` })
    t.match(revoke.json(), { id: s.reader.id, revoked: true })
    const res = await s.call({ method: 'GET', url: '/v1/secrets', key: s.reader.key })
    t.match({ status: res.statusCode, message: res.json().message }, { status: 401, message: 'the API key has been revoked' })
  })
}

t.test('a backup is refused while a key row fails its check, and taken once that key is revoked', async t => {
  const s = await setup(t, 'sqlite')
  await s.rawSql('UPDATE api_keys SET expires_at = NULL WHERE id = ?', [s.expiring.id])
  await s.rawSql('UPDATE api_keys SET name = ?, revoked_at = ? WHERE id = ?', ['renamed', 'not a time', s.revoked.id])
  const refused = await s.call({ method: 'GET', url: '/v1/sys/backup' })
  t.equal(refused.statusCode, 500)
  t.match(refused.json(), { code: 'backup_failed', message: new RegExp(`integrity check.*${s.expiring.id}.*revoke`) })
  t.match(refused.json().message, s.revoked.id, 'a key revoked before its row was changed is named too')
  await s.call({ method: 'DELETE', url: `/v1/api_keys/${s.expiring.id}` })
  const again = await s.call({ method: 'DELETE', url: `/v1/api_keys/${s.revoked.id}` })
  t.match(again.json(), { revoked: true, name: 'renamed', revoked_at: /^\d{4}-\d\d-\d\dT/ }, 'revoking it again revokes it now, with a real time')
  const revocations = (await s.call({ method: 'GET', url: '/v1/audit_logs?event_type=KEY_REVOKED' })).json().audit_logs
  t.equal(revocations.filter((e: { detail: string }) => e.detail.includes(s.revoked.id)).length, 2, 'and records it')
  const untouched = await s.call({ method: 'DELETE', url: `/v1/api_keys/${s.expiring.id}` })
  t.equal(untouched.statusCode, 200)
  t.equal((await s.call({ method: 'GET', url: '/v1/audit_logs?event_type=KEY_REVOKED' })).json().audit_logs.length, revocations.length,
    'revoking an intact revoked key again records nothing')
  t.equal((await s.call({ method: 'GET', url: '/v1/sys/backup' })).statusCode, 200)
  t.equal(await s.status(s.revoked), 401, 'and it stays refused')
})

/** A Trove on a store of its own, opened and closed by the test (buildTestApp's closes once). */
async function storeFor (t: Test, store: typeof STORES[number]) {
  const dataDir = t.testdir()
  const schema = store === 'postgres' ? await testSchema(t) : undefined
  const options: OpenOptions = { dataDir, dbPath: join(dataDir, 'trove.db'), databaseUrl: schema?.url, bootstrapKey: TEST_KEY }
  const raw = async (text: string, params: unknown[] = []): Promise<void> => {
    if (schema !== undefined) {
      const client = new pg.Client({ connectionString: schema.url })
      await client.connect()
      let n = 0
      await client.query(text.replace(/\?/g, () => `$${++n}`), params).finally(() => client.end())
    } else {
      const db = new Database(options.dbPath)
      try { db.prepare(text).run(...params) } finally { db.close() }
    }
  }
  const start = async () => {
    const warnings: object[] = []
    const trove = await openTrove(options, { warn: obj => { warnings.push(obj) } })
    const app = await buildApp({ trove, logger: false })
    const call = async (method: 'GET' | 'POST', url: string, key = TEST_KEY, payload?: object) =>
      await app.inject({ method, url, payload, headers: { authorization: `Bearer ${key}` } })
    return { warnings, call, close: async () => { await app.close(); await trove.close() } }
  }
  return { options, raw, start }
}

/**
 * Turns a store made now back into one made before grant MACs (migration 0005 on SQLite, 0002
 * on PostgreSQL): no column, no record of the migration, and the check value Trove wrote then,
 * `trove-check-v1` wrapped as src/crypto/keyring.ts wraps it.
 */
async function oldCheckValue (s: Awaited<ReturnType<typeof storeFor>>): Promise<Buffer> {
  const sodium = await loadSodium()
  const kek = sodium.crypto_kdf_derive_from_key(32, 1, 'trovekek', readMasterKeyFile(join(s.options.dataDir, 'master.key'), 'the test key'))
  return createCipher(sodium).seal(kek, 0, ['trove-keyring', 'check', 0], Buffer.from('trove-check-v1'))
}

async function makeItOld (s: Awaited<ReturnType<typeof storeFor>>, store: typeof STORES[number]): Promise<void> {
  const oldCheck = await oldCheckValue(s)
  await s.raw('ALTER TABLE api_keys DROP COLUMN grant_mac')
  await s.raw('DELETE FROM schema_migrations WHERE version = ?', [store === 'postgres' ? 2 : 5])
  await s.raw('UPDATE keyring SET wrapped = ? WHERE purpose = \'check\'', [oldCheck])
}

for (const store of STORES) {
  t.test(`${store}: the first start after the upgrade seals the rows it finds, once; from then on they are checked`, async t => {
    const s = await storeFor(t, store)
    const first = await s.start()
    const reader = (await first.call('POST', '/v1/api_keys', TEST_KEY, { name: 'reader', scopes: ['secrets:list'] })).json()
    await first.close()
    await makeItOld(s, store)

    const upgraded = await s.start()
    t.same(upgraded.warnings, [{ keys: 2 }], 'the upgrade seals the admin key and the reader, and says so')
    t.equal((await upgraded.call('GET', '/v1/secrets', reader.key)).statusCode, 200, 'the reader still works')
    t.equal((await upgraded.call('GET', '/v1/api_keys', reader.key)).statusCode, 403, 'with its own scopes')
    await upgraded.close()

    const again = await s.start()
    t.same(again.warnings, [], 'a later start seals nothing')
    const sealedEntries = (await again.call('GET', '/v1/audit_logs?event_type=API_KEYS_SEALED')).json().audit_logs
    t.match(sealedEntries, [{ key_id: null, detail: '2 API key rows sealed with a MAC of what they grant (first start after the upgrade)' }],
      'the upgrade is in the audit chain')
    await again.close()

    await s.raw(widenToAdmin(store), ['["admin"]', reader.id])
    const tampered = await s.start()
    t.equal((await tampered.call('GET', '/v1/api_keys', reader.key)).statusCode, 401, 'a row edited after the upgrade is refused')
    t.equal((await tampered.call('GET', '/v1/api_keys')).statusCode, 200, 'the admin key is not')
    await tampered.close()

    // writing back the check value from before the upgrade would have the edited row sealed as found
    await s.raw('UPDATE keyring SET wrapped = ? WHERE purpose = \'check\'', [await oldCheckValue(s)])
    await t.rejects(s.start(), { name: 'StartupError', message: /check value was written back from an older copy/ }, 'refused: the audit log records the upgrade')
    await s.raw('UPDATE api_keys SET grant_mac = NULL')
    await t.rejects(s.start(), { name: 'StartupError' }, 'with the MACs cleared too')
  })
}

t.test('postgres: processes starting together on an old database seal it once', async t => {
  const s = await storeFor(t, 'postgres')
  await (await s.start()).close()
  await makeItOld(s, 'postgres')
  const troves = await Promise.all([s.start(), s.start(), s.start()])
  t.teardown(() => Promise.all(troves.map(trove => trove.close())))
  t.same(troves.flatMap(trove => trove.warnings), [{ keys: 1 }], 'one of them sealed the rows')
  for (const trove of troves) t.equal((await trove.call('GET', '/v1/secrets')).statusCode, 200, 'each serves')
})
