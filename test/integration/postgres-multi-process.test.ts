import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import t, { type Test } from 'tap'
import { adminQuery, TEST_DATABASE_URL, testSchema, urlWithSchema } from '../fixtures/postgres.js'
import { startTrove, type TroveProcess } from '../fixtures/process.js'
import { startTcpProxy } from '../fixtures/tcp-proxy.js'

/**
 * Several real Trove processes (`node dist/server.js`) on one PostgreSQL database, as behind a
 * load balancer: concurrent writes to the same names from both, check-and-set across them, one
 * audit chain, revocation seen at once, a process cut off from the database and back, key
 * rotations and a rekey while both serve, and a query blocked past the query timeout.
 */

const ADMIN_KEY = 'multi-process-admin-key-0123456789'

interface Answer {
  status: number
  headers: Headers
  body: Record<string, unknown>
}

async function api (base: string, method: string, path: string, options: { key?: string, body?: unknown, headers?: Record<string, string> } = {}): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${options.key ?? ADMIN_KEY}`, ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
    body: options.body === undefined ? undefined : JSON.stringify(options.body)
  })
  return { status: res.status, headers: res.headers, body: await res.json() as Record<string, unknown> }
}

/**
 * Starts one process per URL at the same time, as a deployment would (so the migration lock and
 * the first-start set-up race for real), all with one master key file.
 */
async function startTroves (t: Test, urls: readonly string[], env: Record<string, string> = {}): Promise<TroveProcess[]> {
  const dir = t.testdir()
  const keyFile = join(dir, 'master.key')
  // every process needs the same master key
  writeFileSync(keyFile, randomBytes(32).toString('base64'), { mode: 0o600 })
  const started = await Promise.allSettled(urls.map((url, i) => startTrove({
    TROVE_DATABASE_URL: url,
    TROVE_MASTER_KEY_FILE: keyFile,
    TROVE_BOOTSTRAP_KEY: ADMIN_KEY,
    TROVE_DATA_DIR: join(dir, `data-${i}`),
    TROVE_RATE_LIMIT: '1000000',
    TROVE_MAX_VERSIONS: '1000',
    ...env
  }, { timeoutMs: 20_000 })))
  const procs = started.flatMap(s => s.status === 'fulfilled' ? [s.value] : [])
  t.teardown(() => Promise.all(procs.map(proc => proc.stop('SIGKILL'))))
  const failed = started.find(s => s.status === 'rejected')
  if (failed !== undefined) throw failed.reason
  return procs
}

t.test('two processes on one database, hammered with writes to the same names', async t => {
  const { url } = await testSchema(t)
  const [urlA, urlB] = (await startTroves(t, [url, url])).map(proc => proc.url) as [string, string]

  const names = ['alpha', 'beta', 'gamma']
  const acked = new Map<string, string[]>(names.map(name => [name, []]))
  const failures: string[] = []
  const workersPerProcess = 6
  const writesPerWorker = 15
  await Promise.all([urlA, urlB].flatMap((base, p) => Array.from({ length: workersPerProcess }, async (_, w) => {
    for (let i = 0; i < writesPerWorker; i++) {
      const name = names[(w + i) % names.length]!
      const value = `p${p}-w${w}-${i}`
      const res = await api(base, 'POST', '/v1/secrets', { body: { name, value } })
      if (res.status === 200) acked.get(name)!.push(value)
      else failures.push(`${name}=${value}: ${res.status} ${JSON.stringify(res.body)}`)
    }
  })))
  t.same(failures, [], 'every write was acknowledged')

  for (const name of names) {
    const values = acked.get(name)!
    const meta = await api(urlB, 'GET', `/v1/secrets/${name}`)
    t.equal(meta.body.version, values.length, `${name}: one version per acknowledged write`)
    const versions = (await api(urlA, 'GET', `/v1/secrets/${name}/versions`)).body.versions as { version: number }[]
    t.same(versions.map(v => v.version), Array.from({ length: values.length }, (_, i) => values.length - i), `${name}: versions 1..N, no gaps or duplicates`)
    const stored = await Promise.all(versions.map(async v => (await api(v.version % 2 === 0 ? urlA : urlB, 'GET', `/v1/secrets/${name}/value?version=${v.version}`)).body.value as string))
    t.same([...stored].sort(), [...values].sort(), `${name}: every acknowledged value is stored once, none lost`)
    t.ok(values.includes((await api(urlA, 'GET', `/v1/secrets/${name}/value`)).body.value as string), `${name}: the current value is an acknowledged one`)
  }

  t.test('the last acknowledged write is what the other process reads', async t => {
    for (const [writer, reader] of [[urlA, urlB], [urlB, urlA]] as const) {
      const value = `final-${randomBytes(4).toString('hex')}`
      t.equal((await api(writer, 'POST', '/v1/secrets', { body: { name: 'alpha', value } })).status, 200)
      t.equal((await api(reader, 'GET', '/v1/secrets/alpha/value')).body.value, value)
    }
  })

  t.test('If-Match check-and-set conflicts are detected across processes', async t => {
    for (let round = 0; round < 10; round++) {
      const etag = (await api(urlA, 'GET', '/v1/secrets/beta')).headers.get('etag')!
      const answers = await Promise.all([urlA, urlB].map((base, p) =>
        api(base, 'POST', '/v1/secrets', { body: { name: 'beta', value: `cas-${round}-${p}` }, headers: { 'if-match': etag } })))
      t.same(answers.map(r => r.status).sort(), [200, 412], `round ${round}: one writer wins, the other gets 412`)
      const lost = answers.find(r => r.status === 412)!
      t.match(lost.body, { code: 'version_mismatch', current_version: Number(etag.replaceAll('"', '')) + 1 })
    }
  })

  t.test('the audit log is one unbroken chain, the same from both processes', async t => {
    // grouped reads are written within 200 ms; verify flushes the asking process's own group
    const [fromA, fromB] = [await api(urlA, 'GET', '/v1/audit_logs/verify'), await api(urlB, 'GET', '/v1/audit_logs/verify')]
    t.match(fromA.body, { valid: true })
    t.match(fromB.body, { valid: true })
    t.ok((fromB.body.entries as number) >= workersPerProcess * writesPerWorker * 2, `${String(fromB.body.entries)} entries`)
    const updates = (await api(urlB, 'GET', '/v1/audit_logs?event_type=SECRET_UPDATED&limit=1000')).body.audit_logs as { id: number }[]
    t.equal(updates.length, workersPerProcess * writesPerWorker * 2 + 2 + 10, 'one record per change')
  })

  t.test('a key revoked through one process is refused by the other on its next request', async t => {
    const created = (await api(urlA, 'POST', '/v1/api_keys', { body: { name: 'short-lived', scopes: ['secrets:list'] } })).body
    const key = created.key as string
    t.equal((await api(urlB, 'GET', '/v1/secrets', { key })).status, 200)
    t.equal((await api(urlA, 'DELETE', `/v1/api_keys/${String(created.id)}`)).status, 200)
    const refused = await api(urlB, 'GET', '/v1/secrets', { key })
    t.equal(refused.status, 401)
    t.match(refused.body, { code: 'invalid_api_key', message: /revoked/ })
  })
})

t.test('a process cut off from PostgreSQL answers 503 storage_unavailable and recovers by itself', async t => {
  const target = new URL(TEST_DATABASE_URL)
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
  t.teardown(() => proxy.close())
  const { schema } = await testSchema(t)
  const direct = urlWithSchema(TEST_DATABASE_URL, schema)
  const viaProxy = new URL(direct)
  viaProxy.host = `127.0.0.1:${proxy.port}`
  const [steady, cutOff] = await startTroves(t, [direct, viaProxy.toString()])
  const acked: { name: string, value: string }[] = []
  const write = async (i: number): Promise<Answer> => {
    const entry = { name: `loss-${i % 4}`, value: `value-${i}` }
    const res = await api(cutOff!.url, 'POST', '/v1/secrets', { body: entry })
    if (res.status === 200) acked.push(entry)
    return res
  }
  for (let i = 0; i < 8; i++) t.equal((await write(i)).status, 200)

  proxy.cut()
  const refused = await write(100)
  t.equal(refused.status, 503, 'a write while the database is away')
  t.match(refused.body, { error: 'Service Unavailable', code: 'storage_unavailable', message: String })
  t.equal(refused.headers.get('retry-after'), '1')
  const read = await api(cutOff!.url, 'GET', '/v1/secrets/loss-1/value')
  t.match({ status: read.status, code: read.body.code }, { status: 503, code: 'storage_unavailable' }, 'a read too')
  const ready = await fetch(`${cutOff!.url}/readyz`)
  t.equal(ready.status, 503, 'readyz says not ready')
  t.match(await ready.json(), { code: 'not_ready' })
  for (let i = 101; i < 105; i++) await write(i)
  t.equal(cutOff!.child.exitCode, null, 'the process stays up')

  proxy.restore()
  const deadline = Date.now() + 15_000
  let back = false
  while (!back && Date.now() < deadline) {
    back = (await fetch(`${cutOff!.url}/readyz`)).status === 200
    if (!back) await new Promise(resolve => setTimeout(resolve, 200))
  }
  t.ok(back, 'ready again without a restart')
  for (let i = 200; i < 208; i++) t.equal((await write(i)).status, 200, `write ${i} after the database came back`)

  const latest = new Map(acked.map(entry => [entry.name, entry.value]))
  for (const [name, value] of latest) {
    t.equal((await api(steady!.url, 'GET', `/v1/secrets/${name}/value`)).body.value, value, `${name}: the last acknowledged value, read through the other process`)
  }
  for (const name of new Set(acked.map(entry => entry.name))) {
    const versions = (await api(steady!.url, 'GET', `/v1/secrets/${name}/versions`)).body.versions as { version: number }[]
    const values = await Promise.all(versions.map(async v => (await api(steady!.url, 'GET', `/v1/secrets/${name}/value?version=${v.version}`)).body.value as string))
    const mine = acked.filter(entry => entry.name === name).map(entry => entry.value)
    t.ok(mine.every(value => values.includes(value)), `${name}: every acknowledged write is stored`)
  }
  t.match((await api(steady!.url, 'GET', '/v1/audit_logs/verify')).body, { valid: true }, 'the chain is whole')
})

/** Polls a process's rotation status until it is no longer running. */
async function rotationDone (base: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 60_000
  for (;;) {
    const status = (await api(base, 'GET', '/v1/sys/rotation')).body
    if (status.state !== 'running' || Date.now() > deadline) return status
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

t.test('rotations while both processes write: every value reads back on both, none under a retired term', async t => {
  const { url, schema } = await testSchema(t)
  const procs = await startTroves(t, [url, url])
  const [urlA, urlB] = procs.map(proc => proc.url) as [string, string]
  const terms = async () => ({
    values: (await adminQuery<{ term: number }>(`SELECT DISTINCT term FROM ${schema}.secret_versions ORDER BY term`)).map(r => r.term),
    keys: (await adminQuery<{ term: number }>(`SELECT term FROM ${schema}.keyring WHERE purpose = 'dek' ORDER BY term`)).map(r => r.term)
  })

  // more than one re-encryption batch (500), so the rotation takes a while among the writes
  const seeded = Array.from({ length: 1200 }, (_, i) => `SEED_${i}="seed value ${i}"`).join('\n')
  const imported = await fetch(`${urlA}/v1/secrets/import?format=dotenv`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}` }, body: seeded })
  t.equal(imported.status, 200)

  // Each worker alone writes its names, so the value of every version is known exactly.
  const written = new Map<string, { base: string, values: string[] }>()
  const failures: string[] = []
  let writing = true
  let duringRotation = 0
  let rotating = false
  const workers = [urlA, urlB].flatMap((base, p) => Array.from({ length: 4 }, async (_, w) => {
    for (let i = 0; ; i++) {
      if (!writing) return
      const name = `p${p}-w${w}-n${i % 5}`
      const value = `${name} write ${i}`
      const res = await api(base, 'POST', '/v1/secrets', { body: { name, value } })
      if (res.status !== 200) {
        failures.push(`${name}: ${res.status} ${JSON.stringify(res.body)}`)
        continue
      }
      const entry = written.get(name) ?? { base, values: [] }
      entry.values.push(value)
      written.set(name, entry)
      if (rotating) duringRotation++
    }
  }))

  await new Promise(resolve => setTimeout(resolve, 300))
  rotating = true
  t.match((await api(urlA, 'POST', '/v1/sys/rotate')).body, { state: 'running', active_term: 2 }, 'a rotation started on A')
  t.match(await rotationDone(urlA), { state: 'idle', active_term: 2, terms: [2] })
  t.match((await api(urlB, 'POST', '/v1/sys/rotate')).body, { active_term: 3 }, 'then one on B, which had not reloaded')
  t.match(await rotationDone(urlB), { state: 'idle', active_term: 3, terms: [3] })
  rotating = false
  await new Promise(resolve => setTimeout(resolve, 300))
  writing = false
  await Promise.all(workers)

  t.same(failures, [], 'every write was acknowledged')
  t.ok(duringRotation > 20, `${duringRotation} writes acknowledged during the rotations`)
  t.same(await terms(), { values: [3], keys: [3] }, 'every stored value is under the active term; terms 1 and 2 are retired')

  const wrong: string[] = []
  for (const [name, { values }] of written) {
    for (const base of [urlA, urlB]) {
      const current = (await api(base, 'GET', `/v1/secrets/${name}/value`)).body.value
      if (current !== values.at(-1)) wrong.push(`${name} on ${base}: ${String(current)}`)
      const versions = (await api(base, 'GET', `/v1/secrets/${name}/versions`)).body.versions as { version: number }[]
      if (versions.length !== values.length) wrong.push(`${name} on ${base}: ${versions.length} versions for ${values.length} writes`)
    }
    // every version's value, each read through the process that did not write it
    const other = written.get(name)!.base === urlA ? urlB : urlA
    for (let v = 1; v <= values.length; v++) {
      const stored = (await api(other, 'GET', `/v1/secrets/${name}/value?version=${v}`)).body.value
      if (stored !== values[v - 1]) wrong.push(`${name} v${v}: ${String(stored)}`)
    }
  }
  for (const i of [0, 499, 500, 1199]) {
    for (const base of [urlA, urlB]) {
      const seed = (await api(base, 'GET', `/v1/secrets/SEED_${i}/value`)).body.value
      if (seed !== `seed value ${i}`) wrong.push(`SEED_${i} on ${base}: ${String(seed)}`)
    }
  }
  t.same(wrong, [], `all ${written.size} written secrets (${[...written.values()].reduce((n, e) => n + e.values.length, 0)} versions) and the seeds read back on both processes`)
  t.match((await api(urlB, 'GET', '/v1/audit_logs/verify')).body, { valid: true }, 'the audit chain is whole')

  t.test('after a rekey on A, B serves with the keys it holds until restarted with the new key', async t => {
    // not in t.testdir(): startTroves below lays that folder out anew
    const keyDir = mkdtempSync(join(tmpdir(), 'trove-rekey-'))
    t.teardown(() => rmSync(keyDir, { recursive: true, force: true }))
    const newKeyFile = join(keyDir, 'new.key')
    writeFileSync(newKeyFile, randomBytes(32).toString('base64'), { mode: 0o600 })
    t.match((await api(urlA, 'POST', '/v1/sys/rekey', { body: { new_master_key_file: newKeyFile } })).body, { rekeyed: true })
    t.equal((await api(urlB, 'GET', '/v1/secrets/SEED_7/value')).body.value, 'seed value 7', 'B reads')
    t.equal((await api(urlB, 'POST', '/v1/secrets', { body: { name: 'after-rekey', value: 'via B' } })).status, 200, 'B writes')
    t.match((await api(urlB, 'POST', '/v1/sys/rotate')).body, { code: 'master_key_changed' }, 'B refuses to rotate with the old master key')

    await procs[1]!.stop()
    const [restarted] = await startTroves(t, [url], { TROVE_MASTER_KEY_FILE: newKeyFile })
    t.equal((await api(restarted!.url, 'GET', '/v1/secrets/after-rekey/value')).body.value, 'via B', 'B restarted with the new key reads it')
    t.equal((await api(urlA, 'GET', '/v1/secrets/after-rekey/value')).body.value, 'via B', 'and so does A')
  })
})

t.test('TROVE_DATABASE_QUERY_TIMEOUT_MS: a request blocked by a lock answers 503 within the timeout', async t => {
  const { url } = await testSchema(t)
  const [proc] = await startTroves(t, [url], { TROVE_DATABASE_QUERY_TIMEOUT_MS: '500' })
  t.equal((await api(proc!.url, 'POST', '/v1/secrets', { body: { name: 'locked', value: 'v' } })).status, 200)
  const locker = new pg.Client({ connectionString: url })
  await locker.connect()
  t.teardown(() => locker.end())
  await locker.query('BEGIN')
  await locker.query('LOCK TABLE secrets IN ACCESS EXCLUSIVE MODE')

  for (const [method, body] of [['GET', undefined], ['POST', { name: 'locked', value: 'w' }]] as const) {
    const started = performance.now()
    const res = await api(proc!.url, method, method === 'GET' ? '/v1/secrets/locked/value' : '/v1/secrets', { body })
    const ms = performance.now() - started
    t.match({ status: res.status, code: res.body.code, retryAfter: res.headers.get('retry-after') }, { status: 503, code: 'storage_unavailable', retryAfter: '1' }, method)
    t.ok(ms >= 450 && ms < 2000, `${method} answered after ${Math.round(ms)} ms`)
  }
  await locker.query('ROLLBACK')
  t.equal((await api(proc!.url, 'GET', '/v1/secrets/locked/value')).body.value, 'v', 'served again once the lock is gone')
})
