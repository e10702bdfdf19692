import t from 'tap'
import { grantMac, hashApiKey } from '../../src/crypto/api-keys.js'
import { prepareApiKey } from '../../src/services/api-keys-service.js'
import { buildTestApp, TEST_KEY } from '../fixtures/app.js'

t.test('both documented schemes are accepted, case-insensitively', async t => {
  const { call } = await buildTestApp(t)
  for (const header of [`Bearer ${TEST_KEY}`, `bearer ${TEST_KEY}`, `BEARER ${TEST_KEY}`, `Api-Key ${TEST_KEY}`, `api-key ${TEST_KEY}`, `API-KEY ${TEST_KEY}`]) {
    const res = await call({ method: 'GET', url: '/v1/secrets', headers: { authorization: header } })
    t.equal(res.statusCode, 200, header.slice(0, 7))
  }
})

t.test('a missing key is 401 with WWW-Authenticate', async t => {
  const { call } = await buildTestApp(t)
  for (const headers of [{}, { authorization: '' }, { authorization: '   ' }]) {
    const res = await call({ method: 'GET', url: '/v1/secrets', key: null, headers })
    t.equal(res.statusCode, 401)
    t.equal(res.json().code, 'missing_api_key')
    t.match(res.headers['www-authenticate'], /^Bearer realm="trove"/)
  }
})

t.test('a wrong key, scheme or format is 401 and reaches no handler', async t => {
  const { call } = await buildTestApp(t)
  const cases = [
    `Bearer ${TEST_KEY}x`,
    'Bearer trove_AAAAAAAAAAAA_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    'Bearer trove_bad',
    `Basic ${Buffer.from(`user:${TEST_KEY}`).toString('base64')}`,
    `Token ${TEST_KEY}`,
    'Bearer',
    `Bearer ${'x'.repeat(10_000)}`
  ]
  for (const authorization of cases) {
    const res = await call({ method: 'POST', url: '/v1/secrets', headers: { authorization }, payload: { name: 'should_not_exist', value: 'v' } })
    t.equal(res.statusCode, 401, authorization.slice(0, 30))
    t.match(res.json(), { error: 'Unauthorized', message: String, code: /^invalid_/ })
    t.match(res.headers['www-authenticate'], /^Bearer realm="trove", error="invalid_/)
  }
  t.equal((await call({ method: 'GET', url: '/v1/secrets/should_not_exist' })).statusCode, 404, 'no write happened')
})

t.test('every /v1 route needs a key; health probes do not', async t => {
  const { call } = await buildTestApp(t)
  const routes: [string, string][] = [
    ['GET', '/v1/secrets'], ['POST', '/v1/secrets'], ['GET', '/v1/secrets/x'], ['GET', '/v1/secrets/x/value'], ['DELETE', '/v1/secrets/x'],
    ['GET', '/v1/teams'], ['GET', '/v1/teams/t/secrets'], ['POST', '/v1/teams/t/secrets'], ['GET', '/v1/teams/t/secrets/x'],
    ['GET', '/v1/teams/t/secrets/x/value'], ['DELETE', '/v1/teams/t/secrets/x']
  ]
  for (const [method, url] of routes) {
    const res = await call({ method: method as 'GET', url, key: null, payload: method === 'POST' ? { name: 'x', value: 'y' } : undefined })
    t.equal(res.statusCode, 401, `${method} ${url}`)
  }
  t.equal((await call({ method: 'GET', url: '/healthz', key: null })).statusCode, 200)
  t.equal((await call({ method: 'GET', url: '/readyz', key: null })).statusCode, 200)
})

t.test('revoked and expired keys are refused, saying why', async t => {
  const { call, trove } = await buildTestApp(t)
  const now = new Date()
  const expired = prepareApiKey(trove.keyring, { name: 'old', scopes: ['admin'], teams: null, expiresAt: new Date(now.getTime() - 1000).toISOString() }, now)
  await trove.store.insertApiKey(expired.record)
  const revoked = prepareApiKey(trove.keyring, { name: 'gone', scopes: ['admin'], teams: null }, now)
  await trove.store.insertApiKey(revoked.record)
  await trove.store.revokeApiKey(revoked.record.id, now.toISOString(), key => grantMac(trove.keyring.grantKey, key))
  const fresh = prepareApiKey(trove.keyring, { name: 'new', scopes: ['admin'], teams: null, expiresAt: new Date(now.getTime() + 60_000).toISOString() }, now)
  await trove.store.insertApiKey(fresh.record)

  const e = await call({ method: 'GET', url: '/v1/secrets', key: expired.key })
  t.equal(e.statusCode, 401)
  t.match(e.json().message, /expired/)
  const r = await call({ method: 'GET', url: '/v1/secrets', key: revoked.key })
  t.equal(r.statusCode, 401)
  t.match(r.json().message, /revoked/)
  t.equal((await call({ method: 'GET', url: '/v1/secrets', key: fresh.key })).statusCode, 200)
})

t.test('keys are stored only as keyed hashes', async t => {
  const { trove } = await buildTestApp(t)
  const record = await trove.store.findApiKeyByHash(hashApiKey(trove.keyring.pepper, TEST_KEY))
  t.ok(record, 'found by hash')
  t.notOk(JSON.stringify(record).includes(TEST_KEY))
  t.same(record!.scopes, ['admin'])
})
