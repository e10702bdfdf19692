import { randomBytes } from 'node:crypto'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { restoreBackup } from '../../src/ops/restore.js'
import { openTrove } from '../../src/trove.js'
import { buildTestApp, TEST_KEY, TEST_STORE } from '../fixtures/app.js'

type Call = Awaited<ReturnType<typeof buildTestApp>>['call']

async function seed (call: Call, count: number): Promise<void> {
  const lines = Array.from({ length: count }, (_, i) => `S${i}="value ${i}"`).join('\n')
  await call({ method: 'POST', url: '/v1/secrets/import?format=dotenv', payload: lines })
}

t.test('rotation re-encrypts every value to a new term while reads go on', async t => {
  const { call, trove } = await buildTestApp(t, { rateLimit: 1_000_000 })
  await seed(call, 3000)
  await call({ method: 'DELETE', url: '/v1/secrets/S7' })
  t.same([...(await trove.store.termUsage()).keys()], [1])

  const started = await call({ method: 'POST', url: '/v1/sys/rotate' })
  t.equal(started.statusCode, 200)
  t.match(started.json(), { state: 'running', active_term: 2, total: 3000 })
  // reads of random secrets while batches are re-encrypted
  let reads = 0
  let wrong = 0
  while ((await call({ method: 'GET', url: '/v1/sys/rotation' })).json().state === 'running') {
    // inject never leaves the microtask queue; a real socket would let the batches run between requests
    await new Promise(resolve => setImmediate(resolve))
    for (let j = 0; j < 20; j++) {
      const i = Math.floor(Math.random() * 3000)
      if (i === 7) continue
      const res = await call({ method: 'GET', url: `/v1/secrets/S${i}/value` })
      reads++
      if (res.json().value !== `value ${i}`) wrong++
    }
  }
  t.comment(`${reads} reads during the rotation`)
  t.equal(wrong, 0, 'every read during the rotation was right')
  const done = (await call({ method: 'GET', url: '/v1/sys/rotation' })).json()
  t.match(done, { state: 'idle', active_term: 2, rewrapped: 3000, remaining: 0, terms: [2] })
  t.same([...(await trove.store.termUsage()).entries()], [[2, 3000]], 'every row, trash included, is under the new term')
  t.same((await trove.store.listKeyring()).filter(r => r.purpose === 'dek').map(r => r.term), [2], 'the old term is dropped')
  for (const i of [0, 1234, 2999]) t.equal((await call({ method: 'GET', url: `/v1/secrets/S${i}/value` })).json().value, `value ${i}`)
  t.equal((await call({ method: 'POST', url: '/v1/trash/S7/restore' })).statusCode, 200)
  t.equal((await call({ method: 'GET', url: '/v1/secrets/S7/value' })).json().value, 'value 7', 'a trashed value was re-encrypted too')
  t.equal((await call({ method: 'POST', url: '/v1/secrets', payload: { name: 'after', value: 'new' } })).statusCode, 200)
  t.same([...(await trove.store.termUsage()).keys()], [2], 'new writes use the new term')
})

t.test('rotation needs the admin scope', async t => {
  const { call } = await buildTestApp(t)
  const key = (await call({ method: 'POST', url: '/v1/api_keys', payload: { name: 'k', scopes: ['secrets:write', 'keys:manage'] } })).json().key
  for (const [method, url] of [['POST', '/v1/sys/rotate'], ['GET', '/v1/sys/rotation'], ['GET', '/v1/sys/backup'], ['POST', '/v1/sys/rekey']] as const) {
    t.equal((await call({ method, url, key })).statusCode, 403, `${method} ${url}`)
  }
})

t.test('rekey: the keyring moves to a new master key; the old one stops working', async t => {
  const dir = t.testdir()
  const dbPath = join(dir, 'trove.db')
  const { call, app, trove, openOptions } = await buildTestApp(t, { dbPath })
  await call({ method: 'POST', url: '/v1/secrets', payload: { name: 'kept', value: 'still here' } })
  const newKeyFile = join(dir, 'new.key')
  writeFileSync(newKeyFile, randomBytes(32).toString('base64'), { mode: 0o600 })
  const res = await call({ method: 'POST', url: '/v1/sys/rekey', payload: { new_master_key_file: newKeyFile } })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { rekeyed: true })
  t.equal((await call({ method: 'GET', url: '/v1/secrets/kept/value' })).json().value, 'still here', 'the running server keeps serving')
  await call({ method: 'POST', url: '/v1/sys/rotate' })
  await app.close()
  await trove.close()

  await t.rejects(openTrove(openOptions, { warn () {} }), { message: /master key does not match/ }, 'the old key is refused')
  const reopened = await openTrove({ ...openOptions, masterKeyFile: newKeyFile }, { warn () {} })
  const app2 = await buildApp({ trove: reopened })
  t.teardown(async () => { await app2.close(); await reopened.close() })
  const read = await app2.inject({ method: 'GET', url: '/v1/secrets/kept/value', headers: { authorization: `Bearer ${TEST_KEY}` } })
  t.equal(read.json().value, 'still here', 'the new key opens it, and API keys still work')

  const loose = join(dir, 'loose.key')
  writeFileSync(loose, randomBytes(32).toString('base64'), { mode: 0o644 })
  const refused = await app2.inject({ method: 'POST', url: '/v1/sys/rekey', payload: { new_master_key_file: loose }, headers: { authorization: `Bearer ${TEST_KEY}` } })
  t.equal(refused.statusCode, 400)
  t.equal(refused.json().code, 'invalid_master_key')
  const same = await app2.inject({ method: 'POST', url: '/v1/sys/rekey', payload: { new_master_key_file: newKeyFile }, headers: { authorization: `Bearer ${TEST_KEY}` } })
  t.match({ status: same.statusCode, body: same.json() }, { status: 400, body: { code: 'invalid_master_key', message: /already wrapped under/ } }, 'the key in use is not a new one')
  const readAgain = await app2.inject({ method: 'GET', url: '/v1/secrets/kept/value', headers: { authorization: `Bearer ${TEST_KEY}` } })
  t.equal(readAgain.json().value, 'still here', 'and nothing changed')
})

t.test('an online backup is checked, and restores into an empty folder with the same key', { skip: TEST_STORE === 'postgres' && 'the online backup is SQLite\'s; PostgreSQL is backed up with pg_dump (next test)' }, async t => {
  const dir = t.testdir()
  const { call } = await buildTestApp(t, { dbPath: join(dir, 'live', 'trove.db') })
  await seed(call, 200)
  const res = await call({ method: 'GET', url: '/v1/sys/backup' })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-type'], 'application/vnd.sqlite3')
  t.equal(res.headers['x-trove-backup-versions'], '200')
  t.equal(res.rawPayload.subarray(0, 15).toString(), 'SQLite format 3')
  t.notOk(res.rawPayload.includes(Buffer.from('value 17')), 'the backup holds only ciphertext')
  const backup = join(dir, 'backup.db')
  writeFileSync(backup, res.rawPayload)

  const target = join(dir, 'restored')
  await t.rejects(restoreBackup({ file: backup, dataDir: target, dbPath: join(target, 'trove.db'), masterKey: randomBytes(32).toString('base64') }), { message: /master key does not match/ })
  t.notOk(existsSync(join(target, 'trove.db')), 'a wrong key leaves nothing behind')
  const masterKey = join(dir, 'live', 'master.key')
  const report = await restoreBackup({ file: backup, dataDir: target, dbPath: join(target, 'trove.db'), masterKeyFile: masterKey })
  t.equal(report.versions, 200)
  await t.rejects(restoreBackup({ file: backup, dataDir: target, dbPath: join(target, 'trove.db'), masterKeyFile: masterKey }), { message: /exists/ }, 'never over a database')

  const restored = await openTrove({ dataDir: target, dbPath: join(target, 'trove.db'), masterKeyFile: masterKey }, { warn () {} })
  const app = await buildApp({ trove: restored })
  t.teardown(async () => { await app.close(); await restored.close() })
  const read = await app.inject({ method: 'GET', url: '/v1/secrets/S17/value', headers: { authorization: `Bearer ${TEST_KEY}` } })
  t.equal(read.json().value, 'value 17')
})

t.test('on PostgreSQL the backup route answers 501 and points to pg_dump', { skip: TEST_STORE !== 'postgres' && 'runs with TROVE_TEST_STORE=postgres' }, async t => {
  const { call } = await buildTestApp(t)
  const res = await call({ method: 'GET', url: '/v1/sys/backup' })
  t.equal(res.statusCode, 501)
  t.equal(res.json().code, 'backup_unsupported')
  t.match(res.json().message, /pg_dump -Fc/)
})

t.test('metrics in Prometheus format, optionally behind a token', async t => {
  const { call } = await buildTestApp(t)
  await call({ method: 'POST', url: '/v1/secrets', payload: { name: 'm', value: 'v' } })
  await call({ method: 'GET', url: '/v1/secrets', key: 'wrong-key-0123456789' })
  const res = await call({ method: 'GET', url: '/metrics', key: null })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain/)
  for (const line of [
    /trove_http_request_duration_seconds_count\{method="POST",route="\/v1\/secrets",status_code="200"\} 1/,
    /trove_auth_failures_total\{reason="unknown"\} 1/,
    /trove_secrets\{team="default",state="live"\} 1/,
    /trove_api_keys\{team="\*"\} 1/,
    /trove_database_bytes \d+/,
    /trove_audit_entries [1-9]/
  ]) t.match(res.body, line)
  t.notOk(res.body.includes('wrong-key'), 'no key in the metrics')

  const guarded = await buildTestApp(t, { metricsToken: 'metrics-token-0123456789' })
  t.equal((await guarded.call({ method: 'GET', url: '/metrics', key: null })).statusCode, 401)
  t.equal((await guarded.call({ method: 'GET', url: '/metrics', key: 'metrics-token-0123456789' })).statusCode, 200)
})

t.test('operations on the whole store are audited: rotation, rekey and backup download, each once and only when done', async t => {
  const dir = t.testdir()
  const { call } = await buildTestApp(t, { dbPath: join(dir, 'trove.db') })
  const { id: keyId, key } = (await call({ method: 'POST', url: '/v1/api_keys', payload: { name: 'operator', scopes: ['admin'] } })).json()
  const as = { authorization: `Bearer ${key}` }
  await call({ method: 'POST', url: '/v1/secrets', payload: { name: 'one', value: '1' } })
  const entries = async () => ((await call({ method: 'GET', url: '/v1/audit_logs?limit=100' })).json().audit_logs as { event_type: string, key_id: string, detail: string }[])
    .filter(e => ['KEYRING_ROTATED', 'KEYRING_REKEYED', 'BACKUP_DOWNLOADED'].includes(e.event_type)).reverse()

  t.equal((await call({ method: 'POST', url: '/v1/sys/rotate', headers: as })).statusCode, 200)
  while ((await call({ method: 'GET', url: '/v1/sys/rotation' })).json().state === 'running') await new Promise(resolve => setTimeout(resolve, 20))
  const loose = join(dir, 'loose.key')
  writeFileSync(loose, randomBytes(32).toString('base64'), { mode: 0o644 })
  t.equal((await call({ method: 'POST', url: '/v1/sys/rekey', headers: as, payload: { new_master_key_file: loose } })).statusCode, 400)
  const newKeyFile = join(dir, 'new.key')
  writeFileSync(newKeyFile, randomBytes(32).toString('base64'), { mode: 0o600 })
  t.equal((await call({ method: 'POST', url: '/v1/sys/rekey', headers: as, payload: { new_master_key_file: newKeyFile } })).statusCode, 200)
  const backup = await call({ method: 'GET', url: '/v1/sys/backup', headers: as })
  const expected = [
    { event_type: 'KEYRING_ROTATED', key_id: keyId, detail: 'data key term 2 is active; older values are re-encrypted to it' },
    { event_type: 'KEYRING_REKEYED', key_id: keyId, detail: /^\d+ keyring entries wrapped under a new master key$/ }
  ]
  if (TEST_STORE === 'sqlite') {
    t.equal(backup.statusCode, 200)
    expected.push({ event_type: 'BACKUP_DOWNLOADED', key_id: keyId, detail: new RegExp(`^${backup.rawPayload.length} bytes, 1 stored value$`) })
  } else {
    t.equal(backup.statusCode, 501, 'no online backup on PostgreSQL, and nothing recorded')
  }
  const found = await entries()
  t.match(found, expected, 'each recorded with the key that asked; the refused rekey is not')
  t.equal(found.length, expected.length)
})
