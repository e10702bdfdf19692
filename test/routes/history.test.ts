import t from 'tap'
import { buildTestApp } from '../fixtures/app.js'

type Call = Awaited<ReturnType<typeof buildTestApp>>['call']
const upsert = (call: Call, name: string, value: string, headers: Record<string, string> = {}) =>
  call({ method: 'POST', url: '/v1/secrets', payload: { name, value }, headers })

t.test('versions', async t => {
  t.test('each changed value is a new version; the same value makes none', async t => {
    const { call } = await buildTestApp(t)
    t.equal((await upsert(call, 'token', 'one')).json().version, 1)
    t.equal((await upsert(call, 'token', 'two')).json().version, 2)
    const same = await upsert(call, 'token', 'two')
    t.equal(same.json().version, 2, 'no new version for the same value')
    t.equal(same.headers.etag, '"2"')
    const list = (await call({ method: 'GET', url: '/v1/secrets/token/versions' })).json()
    t.same(list.versions.map((v: { version: number }) => v.version), [2, 1])
    t.match(list.versions[0], { version: 2, created_at: String, created_by: String, current: true })
    t.match(list.versions[1], { version: 1, current: false })
    t.not(list.versions[0].fingerprint, list.versions[1].fingerprint)
  })

  t.test('old versions can be read by number; unknown ones are 404', async t => {
    const { call } = await buildTestApp(t)
    await upsert(call, 'token', 'one')
    await upsert(call, 'token', 'two')
    t.same((await call({ method: 'GET', url: '/v1/secrets/token/value?version=1' })).json(), { name: 'token', value: 'one', version: 1 })
    t.equal((await call({ method: 'GET', url: '/v1/secrets/token/value' })).json().value, 'two')
    const missing = await call({ method: 'GET', url: '/v1/secrets/token/value?version=9' })
    t.equal(missing.statusCode, 404)
    t.equal(missing.json().code, 'version_not_found')
    for (const bad of ['0', '-1', 'abc', '1.5']) {
      t.equal((await call({ method: 'GET', url: `/v1/secrets/token/value?version=${bad}` })).statusCode, 400, bad)
    }
  })

  t.test('only the newest versions are kept', async t => {
    const { trove } = await buildTestApp(t)
    const { buildApp } = await import('../../src/app.js')
    const app = await buildApp({ trove, maxVersions: 3 })
    t.teardown(() => app.close())
    const headers = { authorization: 'Bearer test-admin-key-0123456789abcdef' }
    for (let i = 1; i <= 5; i++) await app.inject({ method: 'POST', url: '/v1/secrets', headers, payload: { name: 'k', value: `v${i}` } })
    const versions = (await app.inject({ method: 'GET', url: '/v1/secrets/k/versions', headers })).json().versions
    t.same(versions.map((v: { version: number }) => v.version), [5, 4, 3])
    t.equal((await app.inject({ method: 'GET', url: '/v1/secrets/k/value?version=2', headers })).statusCode, 404)
    t.equal((await app.inject({ method: 'GET', url: '/v1/secrets/k/value?version=3', headers })).json().value, 'v3')
  })

  t.test('rollback makes a new version with the old value', async t => {
    const { call } = await buildTestApp(t)
    await upsert(call, 'token', 'one')
    await upsert(call, 'token', 'two')
    const res = await call({ method: 'POST', url: '/v1/secrets/token/rollback', payload: { version: 1 } })
    t.equal(res.statusCode, 200)
    t.equal(res.json().version, 3)
    t.equal((await call({ method: 'GET', url: '/v1/secrets/token/value' })).json().value, 'one')
    t.equal((await call({ method: 'POST', url: '/v1/secrets/token/rollback', payload: { version: 7 } })).statusCode, 404)
    t.equal((await call({ method: 'POST', url: '/v1/secrets/token/rollback', payload: { version: 'one' } })).statusCode, 400)
    t.equal((await call({ method: 'POST', url: '/v1/secrets/nope/rollback', payload: { version: 1 } })).json().code, 'secret_not_found')
  })
})

t.test('check-and-set', async t => {
  t.test('GET gives the ETag; If-Match with it or the bare number must match', async t => {
    const { call } = await buildTestApp(t)
    await upsert(call, 'token', 'one')
    const etag = (await call({ method: 'GET', url: '/v1/secrets/token' })).headers.etag as string
    t.equal(etag, '"1"')
    const ok = await upsert(call, 'token', 'two', { 'if-match': etag })
    t.equal(ok.statusCode, 200)
    const stale = await upsert(call, 'token', 'three', { 'if-match': etag })
    t.equal(stale.statusCode, 412)
    t.match(stale.json(), { code: 'version_mismatch', current_version: 2 })
    t.equal((await call({ method: 'GET', url: '/v1/secrets/token/value' })).json().value, 'two', 'the stale write changed nothing')
    t.equal((await upsert(call, 'token', 'three', { 'if-match': '2' })).statusCode, 200, 'bare number')
    t.equal((await upsert(call, 'token', 'four', { 'if-match': '*' })).statusCode, 200, '* means it exists')
  })

  t.test('If-Match on a missing secret fails; If-None-Match: * creates only', async t => {
    const { call } = await buildTestApp(t)
    t.match((await upsert(call, 'new', 'v', { 'if-match': '1' })).json(), { code: 'version_mismatch', current_version: null })
    t.equal((await upsert(call, 'new', 'v', { 'if-none-match': '*' })).statusCode, 200)
    const exists = await upsert(call, 'new', 'w', { 'if-none-match': '*' })
    t.equal(exists.statusCode, 412)
    t.match(exists.json(), { code: 'version_mismatch', current_version: 1, message: 'the secret exists (version 1), so the If-None-Match: * condition fails' })
    const del = await call({ method: 'DELETE', url: '/v1/secrets/new', headers: { 'if-none-match': '*' } })
    t.match(del.json(), { code: 'invalid_precondition', message: /^If-None-Match is not taken here/ }, 'delete takes If-Match only, and says so')
  })

  t.test('a bad precondition is 400', async t => {
    const { call } = await buildTestApp(t)
    await upsert(call, 'token', 'one')
    for (const header of ['abc', '"x"', '0', '1,2', '"3', 'W/3']) {
      const res = await upsert(call, 'token', 'two', { 'if-match': header })
      t.equal(res.statusCode, 400, header)
      t.equal(res.json().code, 'invalid_precondition')
    }
  })

  t.test('rollback and delete honour If-Match', async t => {
    const { call } = await buildTestApp(t)
    await upsert(call, 'token', 'one')
    await upsert(call, 'token', 'two')
    t.equal((await call({ method: 'POST', url: '/v1/secrets/token/rollback', payload: { version: 1 }, headers: { 'if-match': '1' } })).statusCode, 412)
    t.equal((await call({ method: 'DELETE', url: '/v1/secrets/token', headers: { 'if-match': '1' } })).statusCode, 412)
    t.equal((await call({ method: 'GET', url: '/v1/secrets/token' })).statusCode, 200, 'still there')
    t.equal((await call({ method: 'DELETE', url: '/v1/secrets/token', headers: { 'if-match': '"2"' } })).statusCode, 200)
  })
})

t.test('trash', async t => {
  t.test('a deleted secret goes to the trash, out of lists and reads, and can be restored', async t => {
    const now = new Date('2026-01-01T00:00:00.000Z')
    const { call } = await buildTestApp(t, { now: () => now })
    await upsert(call, 'token', 'one')
    await upsert(call, 'token', 'two')
    t.same((await call({ method: 'DELETE', url: '/v1/secrets/token' })).json(), { name: 'token' })
    t.equal((await call({ method: 'GET', url: '/v1/secrets/token' })).statusCode, 404)
    t.same((await call({ method: 'GET', url: '/v1/secrets' })).json(), { secrets: [] })
    const trash = (await call({ method: 'GET', url: '/v1/trash' })).json()
    t.match(trash.secrets, [{ name: 'token', team_name: 'default', deleted_at: '2026-01-01T00:00:00.000Z', purge_at: '2026-01-08T00:00:00.000Z' }])
    const restored = await call({ method: 'POST', url: '/v1/trash/token/restore' })
    t.equal(restored.statusCode, 200)
    t.match(restored.json(), { name: 'token', version: 2 })
    t.equal((await call({ method: 'GET', url: '/v1/secrets/token/value?version=1' })).json().value, 'one', 'history came back too')
    t.same((await call({ method: 'GET', url: '/v1/trash' })).json(), { secrets: [] })
  })

  t.test('the name can be reused; restoring over it is 409', async t => {
    const { call } = await buildTestApp(t)
    await upsert(call, 'token', 'old')
    await call({ method: 'DELETE', url: '/v1/secrets/token' })
    t.equal((await upsert(call, 'token', 'new')).json().version, 1, 'a new secret')
    const res = await call({ method: 'POST', url: '/v1/trash/token/restore' })
    t.equal(res.statusCode, 409)
    t.equal(res.json().code, 'name_in_use')
    t.equal((await call({ method: 'GET', url: '/v1/secrets/token/value' })).json().value, 'new')
  })

  t.test('destroying removes it for good', async t => {
    const { call } = await buildTestApp(t)
    await upsert(call, 'token', 'v')
    await call({ method: 'DELETE', url: '/v1/secrets/token' })
    t.same((await call({ method: 'DELETE', url: '/v1/trash/tok.en' })).statusCode, 404, 'another name')
    t.same((await call({ method: 'DELETE', url: '/v1/trash/token' })).json(), { name: 'token' })
    await upsert(call, 'my_token', 'v')
    await call({ method: 'DELETE', url: '/v1/secrets/my_token' })
    t.same((await call({ method: 'DELETE', url: '/v1/trash/my.token' })).json(), { name: 'my_token' }, 'answers the stored name')
    t.equal((await call({ method: 'POST', url: '/v1/trash/token/restore' })).statusCode, 404)
    t.equal((await call({ method: 'DELETE', url: '/v1/trash/token' })).statusCode, 404)
  })

  t.test('expired entries are gone and purged', async t => {
    let now = new Date('2026-01-01T00:00:00.000Z')
    const { call, trove } = await buildTestApp(t, { now: () => now })
    await upsert(call, 'token', 'v')
    await call({ method: 'DELETE', url: '/v1/secrets/token' })
    now = new Date('2026-01-08T00:00:01.000Z')
    t.same((await call({ method: 'GET', url: '/v1/trash' })).json(), { secrets: [] }, 'not listed once expired')
    t.equal((await call({ method: 'POST', url: '/v1/trash/token/restore' })).statusCode, 404, 'not restorable once expired')
    t.equal(await trove.store.purgeExpired(now.toISOString()), 1, 'the purge destroys it')
  })
})

t.test('resolve', async t => {
  const { call } = await buildTestApp(t)
  await upsert(call, 'hf_access_token', 'hf_123')
  await upsert(call, 'db', 'pw\nline2')
  const res = await call({ method: 'POST', url: '/v1/secrets/resolve', payload: { names: ['hf-access-token', 'db', 'missing_one', 'db'] } })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { secrets: { 'hf-access-token': 'hf_123', db: 'pw\nline2' }, missing: ['missing_one'] })
  t.equal((await call({ method: 'POST', url: '/v1/secrets/resolve', payload: { names: ['bad name'] } })).statusCode, 400)
  t.equal((await call({ method: 'POST', url: '/v1/secrets/resolve', payload: { names: 'db' } })).statusCode, 400)
  t.same((await call({ method: 'POST', url: '/v1/secrets/resolve', payload: { names: [] } })).json(), { secrets: {}, missing: [] })
  await upsert(call, '__proto__', 'not a prototype')
  t.same((await call({ method: 'POST', url: '/v1/secrets/resolve', payload: { names: ['__proto__'] } })).body, '{"secrets":{"__proto__":"not a prototype"},"missing":[]}')
})

t.test('pages', async t => {
  const { call } = await buildTestApp(t)
  const names = Array.from({ length: 25 }, (_, i) => `key_${String(i).padStart(2, '0')}`)
  for (const name of [...names, 'other-1', 'other-2']) await upsert(call, name, 'v')
  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const url: string = `/v1/secrets?limit=10${cursor === null ? '' : `&cursor=${cursor}`}`
    const body = (await call({ method: 'GET', url })).json()
    t.ok(body.secrets.length <= 10)
    seen.push(...body.secrets.map((s: { name: string }) => s.name))
    cursor = body.next_cursor
    pages++
  } while (cursor !== null)
  t.equal(pages, 3)
  t.same(seen, [...names, 'other-1', 'other-2'], 'every secret once, in order')

  const prefixed = (await call({ method: 'GET', url: '/v1/secrets?prefix=other_' })).json()
  t.same(prefixed.secrets.map((s: { name: string }) => s.name), ['other-1', 'other-2'], 'prefixes normalise like names')
  t.equal(prefixed.next_cursor, null)
  t.notOk('next_cursor' in (await call({ method: 'GET', url: '/v1/secrets' })).json(), 'no parameters: Baseten\'s shape')
  for (const query of ['limit=0', 'limit=1001', 'limit=x', 'cursor=garbage', 'prefix=a%20b']) {
    t.equal((await call({ method: 'GET', url: `/v1/secrets?${query}` })).statusCode, 400, query)
  }
})

t.test('fingerprints compare values without revealing them', async t => {
  const { call } = await buildTestApp(t)
  const a = (await upsert(call, 'a', 'same-value')).json()
  const b = (await upsert(call, 'b', 'same-value')).json()
  const c = (await upsert(call, 'c', 'other-value')).json()
  t.match(a.fingerprint, /^fp_[A-Za-z0-9_-]{16}$/)
  t.equal(a.fingerprint, b.fingerprint)
  t.not(a.fingerprint, c.fingerprint)
  const list = (await call({ method: 'GET', url: '/v1/secrets' })).json()
  t.same(list.secrets.map((s: { fingerprint: string }) => s.fingerprint), [a.fingerprint, b.fingerprint, c.fingerprint])
})

t.test('a secret named like a route is still reachable', async t => {
  const { call } = await buildTestApp(t)
  await upsert(call, 'export', 'x')
  const meta = await call({ method: 'GET', url: '/v1/secrets/export' })
  t.equal(meta.statusCode, 200)
  t.equal(meta.json().name, 'export')
  t.same((await call({ method: 'POST', url: '/v1/secrets/resolve', payload: { names: ['export', 'resolve'] } })).json(), { secrets: { export: 'x' }, missing: ['resolve'] })
})
