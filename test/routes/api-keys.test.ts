import t from 'tap'
import { classifyApiKey } from '../../src/crypto/api-keys.js'
import { buildTestApp } from '../fixtures/app.js'

t.test('a created key is shown once, works at once, and its metadata never shows it again', async t => {
  const { call } = await buildTestApp(t)
  const res = await call({ method: 'POST', url: '/v1/api_keys', payload: { name: 'ci', scopes: ['secrets:list', 'secrets:read'] } })
  t.equal(res.statusCode, 200)
  const created = res.json()
  t.match(created, { id: String, key: /^trove_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}$/, name: 'ci', scopes: ['secrets:list', 'secrets:read'], teams: null, expires_at: null, last_used_at: null, revoked: false })
  t.equal(classifyApiKey(created.key), 'trove')
  t.ok(created.key.includes(created.id), 'the public id is part of the key')
  t.equal((await call({ method: 'GET', url: '/v1/secrets', key: created.key })).statusCode, 200)
  const list = await call({ method: 'GET', url: '/v1/api_keys' })
  t.notOk(list.body.includes(created.key), 'the list never holds a key')
  const listed = list.json().api_keys.find((k: { id: string }) => k.id === created.id)
  t.notOk('key' in listed)
  t.type(listed.last_used_at, 'string', 'last use shows before it is written to disk')
})

t.test('revoking takes effect on the next request', async t => {
  const { call } = await buildTestApp(t)
  const { id, key } = (await call({ method: 'POST', url: '/v1/api_keys', payload: { name: 'temp', scopes: ['secrets:list'] } })).json()
  t.equal((await call({ method: 'GET', url: '/v1/secrets', key })).statusCode, 200)
  const revoked = await call({ method: 'DELETE', url: `/v1/api_keys/${id}` })
  t.equal(revoked.statusCode, 200)
  t.match(revoked.json(), { id, revoked: true, revoked_at: String })
  const next = await call({ method: 'GET', url: '/v1/secrets', key })
  t.equal(next.statusCode, 401)
  t.match(next.json().message, /revoked/)
  t.equal((await call({ method: 'DELETE', url: '/v1/api_keys/nope' })).statusCode, 404)
})

t.test('an expired key is refused, saying so', async t => {
  let now = new Date('2026-06-01T00:00:00.000Z')
  const { call } = await buildTestApp(t, { now: () => now })
  const { key } = (await call({ method: 'POST', url: '/v1/api_keys', payload: { name: 'short', scopes: ['secrets:list'], expires_at: '2026-06-01T01:00:00Z' } })).json()
  t.equal((await call({ method: 'GET', url: '/v1/secrets', key })).statusCode, 200)
  now = new Date('2026-06-01T01:00:00.001Z')
  const res = await call({ method: 'GET', url: '/v1/secrets', key })
  t.equal(res.statusCode, 401)
  t.match(res.json().message, /expired/)
  t.equal((await call({ method: 'POST', url: '/v1/api_keys', payload: { name: 'past', scopes: ['secrets:list'], expires_at: '2020-01-01T00:00:00Z' } })).statusCode, 400)
  for (const expiresAt of ['soon', '2030-02-30T00:00:00Z', '2030-06-31T00:00:00Z', 'March 7, 2030']) {
    const res = await call({ method: 'POST', url: '/v1/api_keys', payload: { name: 'bad', scopes: ['secrets:list'], expires_at: expiresAt } })
    t.equal(res.statusCode, 400, expiresAt)
    t.match(res.json(), { code: 'invalid_body', message: /expires_at must be an ISO 8601 date-time/ }, expiresAt)
  }
})

t.test('a key never outlives the key that made it', async t => {
  const { call } = await buildTestApp(t)
  const day = 24 * 3_600_000
  const managerExpiry = new Date(Date.now() + 7 * day).toISOString()
  const manager = (await call({ method: 'POST', url: '/v1/api_keys', payload: { name: 'temp mgr', scopes: ['keys:manage', 'secrets:list'], expires_at: managerExpiry } })).json()
  const create = (payload: object) => call({ method: 'POST', url: '/v1/api_keys', key: manager.key, payload: { name: 'child', scopes: ['secrets:list'], ...payload } })

  const inherited = await create({})
  t.equal(inherited.statusCode, 200)
  t.equal(inherited.json().expires_at, managerExpiry, 'without expires_at, it expires with its maker')
  const later = await create({ expires_at: new Date(Date.now() + 30 * day).toISOString() })
  t.equal(later.statusCode, 403)
  t.match(later.json(), { code: 'expiry_beyond_own', message: `this API key expires at ${managerExpiry}: it cannot create a key that expires later` })
  t.equal((await create({ expires_at: managerExpiry })).statusCode, 200, 'the same moment is allowed')
  const sooner = new Date(Date.now() + day).toISOString()
  t.equal((await create({ expires_at: sooner })).json().expires_at, sooner, 'an earlier one is kept')
  const names = (await call({ method: 'GET', url: '/v1/api_keys' })).json().api_keys.filter((k: { name: string }) => k.name === 'child')
  t.equal(names.length, 3, 'the refused one was not created')
  t.equal((await call({ method: 'POST', url: '/v1/api_keys', payload: { name: 'lasting', scopes: ['secrets:list'] } })).json().expires_at, null,
    'a key that does not expire still creates keys that do not')
})

t.test('a key can only grant scopes and teams it holds', async t => {
  const { call } = await buildTestApp(t)
  const teamA = (await call({ method: 'POST', url: '/v1/teams', payload: { name: 'a' } })).json().id
  const teamB = (await call({ method: 'POST', url: '/v1/teams', payload: { name: 'b' } })).json().id
  const manager = (await call({ method: 'POST', url: '/v1/api_keys', payload: { name: 'mgr', scopes: ['keys:manage', 'secrets:read'], teams: [teamA] } })).json().key

  const wider = await call({ method: 'POST', url: '/v1/api_keys', key: manager, payload: { name: 'x', scopes: ['secrets:write'] } })
  t.equal(wider.statusCode, 403)
  t.equal(wider.json().code, 'scope_not_held')
  t.equal((await call({ method: 'POST', url: '/v1/api_keys', key: manager, payload: { name: 'x', scopes: ['admin'] } })).statusCode, 403)
  t.equal((await call({ method: 'POST', url: '/v1/api_keys', key: manager, payload: { name: 'x', scopes: ['secrets:read'], teams: [teamB] } })).statusCode, 404, 'another team is not visible')

  const child = (await call({ method: 'POST', url: '/v1/api_keys', key: manager, payload: { name: 'child', scopes: ['secrets:read'] } })).json()
  t.same(child.teams, [teamA], 'no teams means the creator\'s teams')
  const listed = (await call({ method: 'GET', url: '/v1/api_keys', key: manager })).json().api_keys.map((k: { name: string }) => k.name).sort()
  t.same(listed, ['child', 'mgr'], 'a team-bound manager sees only keys within its teams')

  for (const payload of [{ name: 'x', scopes: ['secrets:fly'] }, { name: '', scopes: ['secrets:read'] }, { name: 'x', scopes: [] }, { name: 'x' }, { name: 'x', scopes: ['secrets:read'], teams: [] }]) {
    t.equal((await call({ method: 'POST', url: '/v1/api_keys', payload })).statusCode, 400, JSON.stringify(payload))
  }
  // labels name the character: a raw line separator in a test name breaks the TAP stream
  const controls: [label: string, name: string][] = [['a line break', 'two\nlines'], ['a tab', 'tab\there'], ['NUL', 'nul\u0000'],
    ['a right-to-left override', 'rtl\u202eoverride'], ['a line separator', 'line\u2028separator']]
  for (const [label, name] of controls) {
    const res = await call({ method: 'POST', url: '/v1/api_keys', payload: { name, scopes: ['secrets:list'] } })
    t.equal(res.statusCode, 400, label)
    t.match(res.json(), { code: 'invalid_body', message: /control or formatting characters/ }, label)
  }
  // JSON.stringify escapes it as \ud800, which parses back to a lone surrogate; stored, it would become U+FFFD
  const lone = await call({ method: 'POST', url: '/v1/api_keys', payload: { name: 'half \ud800 pair', scopes: ['secrets:list'] } })
  t.match({ status: lone.statusCode, body: lone.json() }, { status: 400, body: { code: 'invalid_body', message: /lone surrogate/ } }, 'a lone surrogate')
  t.equal((await call({ method: 'POST', url: '/v1/api_keys', payload: { name: 'CI déploiement 🚀', scopes: ['secrets:list'] } })).statusCode, 200, 'other Unicode is a fine name')
})

t.test('last use is written in batches, not per request', async t => {
  const dir = t.testdir()
  const { call, app, trove } = await buildTestApp(t, { dbPath: `${dir}/trove.db` })
  const { id, key } = (await call({ method: 'POST', url: '/v1/api_keys', payload: { name: 'k', scopes: ['secrets:list'] } })).json()
  for (let i = 0; i < 20; i++) await call({ method: 'GET', url: '/v1/secrets', key })
  t.equal((await trove.store.findApiKeyById(id))!.lastUsedAt, null, 'nothing written per request')
  await app.close()
  t.type((await trove.store.findApiKeyById(id))!.lastUsedAt, 'string', 'written when the app closes')
})
