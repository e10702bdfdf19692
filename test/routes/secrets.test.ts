import t from 'tap'
import { buildTestApp } from '../fixtures/app.js'

t.test('POST /v1/secrets', async t => {
  t.test('creates a secret in the default team and answers Baseten\'s SecretV1', async t => {
    const { call } = await buildTestApp(t)
    const res = await call({ method: 'POST', url: '/v1/secrets', payload: { name: 'my_secret', value: 'my_secret_value' } })
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^application\/json/)
    const body = res.json()
    t.match(body, { id: String, created_at: String, name: 'my_secret', team_name: 'default' })
    t.ok(Number.isFinite(Date.parse(body.created_at)), 'created_at is a date-time')
    t.notOk('value' in body, 'the value is never echoed')
  })

  t.test('an upsert keeps id and created_at and replaces the value', async t => {
    const { call } = await buildTestApp(t)
    const first = (await call({ method: 'POST', url: '/v1/secrets', payload: { name: 'token', value: 'one' } })).json()
    const second = await call({ method: 'POST', url: '/v1/secrets', payload: { name: 'token', value: 'two' } })
    t.equal(second.statusCode, 200)
    t.equal(second.json().id, first.id)
    t.equal(second.json().created_at, first.created_at)
    const read = await call({ method: 'GET', url: '/v1/secrets/token/value' })
    t.same(read.json(), { name: 'token', value: 'two', version: 2 })
  })

  t.test('the body is JSON whatever the Content-Type says', async t => {
    const { call } = await buildTestApp(t)
    const payload = '{"name": "my_secret", "value": "my_secret_value"}'
    for (const contentType of [undefined, 'application/x-www-form-urlencoded', 'text/plain', 'application/json; charset=utf-8', 'invalid', 'a/b/c']) {
      const headers: Record<string, string> = contentType === undefined ? {} : { 'content-type': contentType }
      const res = await call({ method: 'POST', url: '/v1/secrets', payload, headers })
      t.equal(res.statusCode, 200, String(contentType))
    }
  })

  t.test('a body that is not JSON at all is 415; broken JSON sent as JSON is 400', async t => {
    const { call } = await buildTestApp(t)
    const form = await call({ method: 'POST', url: '/v1/secrets', payload: 'name=a&value=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    t.equal(form.statusCode, 415)
    t.equal(form.json().code, 'unsupported_media_type')
    const broken = await call({ method: 'POST', url: '/v1/secrets', payload: '{"name": "a", "value": "sk-canary', headers: { 'content-type': 'application/json' } })
    t.equal(broken.statusCode, 400)
    t.equal(broken.json().code, 'invalid_json')
    t.notOk(broken.body.includes('sk-canary'), 'the parse error does not quote the body')
  })

  t.test('bad bodies are 400 invalid_body', async t => {
    const { call } = await buildTestApp(t)
    for (const payload of ['', '[]', '"text"', '42', 'null', '{}', '{"name":"a"}', '{"value":"v"}', '{"name":1,"value":"v"}', '{"name":"a","value":2}', '{"name":"a","value":null}']) {
      const res = await call({ method: 'POST', url: '/v1/secrets', payload, headers: { 'content-type': 'application/json' } })
      t.equal(res.statusCode, 400, payload)
      t.equal(res.json().code, 'invalid_body', payload)
      t.match(res.json(), { error: 'Bad Request', message: String })
    }
  })

  t.test('bad names are 400 invalid_name', async t => {
    const { call } = await buildTestApp(t)
    for (const name of ['', '.', '..', 'a b', 'a/b', 'ключ', 'x'.repeat(254), 'a\nb']) {
      const res = await call({ method: 'POST', url: '/v1/secrets', payload: { name, value: 'v' } })
      t.equal(res.statusCode, 400, JSON.stringify(name))
      t.equal(res.json().code, 'invalid_name')
    }
    const longest = await call({ method: 'POST', url: '/v1/secrets', payload: { name: 'x'.repeat(253), value: 'v' } })
    t.equal(longest.statusCode, 200, '253 characters is allowed')
  })

  t.test('values up to 64 KiB are kept byte for byte; larger ones are 413', async t => {
    const { call } = await buildTestApp(t)
    const values = ['', ' leading and trailing \n', '-----BEGIN KEY-----\nabc\r\ndef\n-----END KEY-----\n', '"quotes" \\ back\\slash \t tab', '🔑 ünïcödé \u0000 nul', 'é'.repeat(32768)]
    for (const [i, value] of values.entries()) {
      t.equal((await call({ method: 'POST', url: '/v1/secrets', payload: { name: `v${i}`, value } })).statusCode, 200)
      t.equal((await call({ method: 'GET', url: `/v1/secrets/v${i}/value` })).json().value, value)
    }
    const tooLarge = await call({ method: 'POST', url: '/v1/secrets', payload: { name: 'big', value: 'x'.repeat(65537) } })
    t.equal(tooLarge.statusCode, 413)
    t.equal(tooLarge.json().code, 'value_too_large')
    const multibyte = await call({ method: 'POST', url: '/v1/secrets', payload: { name: 'big', value: 'é'.repeat(32769) } })
    t.equal(multibyte.statusCode, 413, 'the limit counts UTF-8 bytes')
    const huge = await call({ method: 'POST', url: '/v1/secrets', payload: JSON.stringify({ name: 'huge', value: 'x'.repeat(2 * 1024 * 1024) }) })
    t.equal(huge.statusCode, 413)
    t.equal(huge.json().code, 'body_too_large')
    t.equal((await call({ method: 'GET', url: '/v1/secrets/big' })).statusCode, 404, 'nothing was stored')
  })

  t.test('a body that is not UTF-8 is refused, not stored with U+FFFD in place of its bytes', async t => {
    const { call } = await buildTestApp(t)
    const bodies: [string, Buffer, Record<string, string>][] = [
      ['a stray byte', Buffer.from('{"name":"raw","value":"a\xffb"}', 'latin1'), { 'content-type': 'application/json' }],
      ['Latin-1 said to be Latin-1', Buffer.from('{"name":"raw","value":"caf\xe9"}', 'latin1'), { 'content-type': 'application/json; charset=iso-8859-1' }],
      ["Baseten's curl --data", Buffer.from('{"name":"raw","value":"a\xffb"}', 'latin1'), { 'content-type': 'application/x-www-form-urlencoded' }]
    ]
    for (const [what, payload, headers] of bodies) {
      const res = await call({ method: 'POST', url: '/v1/secrets', payload, headers })
      t.equal(res.statusCode, 400, what)
      t.match(res.json(), { code: 'invalid_body', message: /not valid UTF-8/ }, what)
    }
    t.equal((await call({ method: 'GET', url: '/v1/secrets/raw' })).statusCode, 404, 'nothing was stored')
  })

  t.test('a lone surrogate cannot be stored byte for byte and is refused', async t => {
    const { call } = await buildTestApp(t)
    const res = await call({ method: 'POST', url: '/v1/secrets', payload: '{"name":"s","value":"\\ud800"}' })
    t.equal(res.statusCode, 400)
  })

  t.test('non-alphanumeric characters are equivalent; the first name stays', async t => {
    const { call } = await buildTestApp(t)
    const first = (await call({ method: 'POST', url: '/v1/secrets', payload: { name: 'hf_access_token', value: 'one' } })).json()
    const second = (await call({ method: 'POST', url: '/v1/secrets', payload: { name: 'hf-access-token', value: 'two' } })).json()
    t.equal(second.id, first.id)
    t.equal(second.name, 'hf_access_token')
    const list = (await call({ method: 'GET', url: '/v1/secrets' })).json()
    t.equal(list.secrets.length, 1)
    t.equal((await call({ method: 'GET', url: '/v1/secrets/hf.access.token/value' })).json().value, 'two')
    t.equal((await call({ method: 'POST', url: '/v1/secrets', payload: { name: 'HF_ACCESS_TOKEN', value: 'x' } })).json().name, 'HF_ACCESS_TOKEN', 'case still counts')
  })
})

t.test('GET /v1/secrets lists metadata only', async t => {
  const { call } = await buildTestApp(t)
  t.same((await call({ method: 'GET', url: '/v1/secrets' })).json(), { secrets: [] }, 'empty list')
  for (const name of ['beta', 'alpha']) await call({ method: 'POST', url: '/v1/secrets', payload: { name, value: `value-of-${name}` } })
  const res = await call({ method: 'GET', url: '/v1/secrets' })
  t.equal(res.statusCode, 200)
  t.same(res.json().secrets.map((s: { name: string }) => s.name), ['alpha', 'beta'])
  for (const secret of res.json().secrets) t.match(secret, { id: String, created_at: String, name: String, team_name: 'default' })
  t.notOk(res.body.includes('value-of-'), 'no value anywhere in the list')
})

t.test('GET /v1/secrets/{name} and /value', async t => {
  const { call } = await buildTestApp(t)
  await call({ method: 'POST', url: '/v1/secrets', payload: { name: 'db-password', value: 'hunter2' } })
  const meta = await call({ method: 'GET', url: '/v1/secrets/db-password' })
  t.equal(meta.statusCode, 200)
  t.match(meta.json(), { name: 'db-password', team_name: 'default', version: 1 })
  t.notOk(meta.body.includes('hunter2'))
  t.same((await call({ method: 'GET', url: '/v1/secrets/db-password/value' })).json(), { name: 'db-password', value: 'hunter2', version: 1 })
  const missing = await call({ method: 'GET', url: '/v1/secrets/nope' })
  t.equal(missing.statusCode, 404)
  t.equal(missing.json().code, 'secret_not_found')
  t.equal((await call({ method: 'GET', url: '/v1/secrets/nope/value' })).statusCode, 404)
  t.equal((await call({ method: 'GET', url: '/v1/secrets/a%20b' })).statusCode, 400, 'a bad name in the path is 400')
})

t.test('DELETE /v1/secrets/{name}', async t => {
  const { call } = await buildTestApp(t)
  await call({ method: 'POST', url: '/v1/secrets', payload: { name: 'my_secret', value: 'v' } })
  const res = await call({ method: 'DELETE', url: '/v1/secrets/my-secret' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { name: 'my_secret' })
  t.equal((await call({ method: 'GET', url: '/v1/secrets/my_secret' })).statusCode, 404)
  const again = await call({ method: 'DELETE', url: '/v1/secrets/my_secret' })
  t.equal(again.statusCode, 404)
  t.equal(again.json().code, 'secret_not_found')
  const recreated = await call({ method: 'POST', url: '/v1/secrets', payload: { name: 'my_secret', value: 'new' } })
  t.equal(recreated.statusCode, 200, 'the name can be used again')
  t.equal((await call({ method: 'GET', url: '/v1/secrets/my_secret/value' })).json().value, 'new')
})

t.test('team-scoped routes', async t => {
  const { call } = await buildTestApp(t)
  const teams = (await call({ method: 'GET', url: '/v1/teams' })).json()
  t.equal(teams.teams.length, 1)
  t.match(teams.teams[0], { id: String, name: 'default' })
  const teamId = teams.teams[0].id as string
  const base = `/v1/teams/${teamId}/secrets`

  const created = await call({ method: 'POST', url: base, payload: { name: 'team_secret', value: 'tv' } })
  t.equal(created.statusCode, 200)
  t.match(created.json(), { name: 'team_secret', team_name: 'default' })
  t.equal((await call({ method: 'GET', url: base })).json().secrets.length, 1)
  t.equal((await call({ method: 'GET', url: `${base}/team_secret` })).json().name, 'team_secret')
  t.equal((await call({ method: 'GET', url: `${base}/team_secret/value` })).json().value, 'tv')
  t.equal((await call({ method: 'GET', url: '/v1/secrets/team_secret/value' })).json().value, 'tv', 'the default team is the un-scoped one')
  t.same((await call({ method: 'DELETE', url: `${base}/team_secret` })).json(), { name: 'team_secret' })
  t.equal((await call({ method: 'DELETE', url: `${base}/team_secret` })).statusCode, 404)

  for (const [method, url] of [['GET', '/v1/teams/team_nope/secrets'], ['POST', '/v1/teams/team_nope/secrets'], ['GET', '/v1/teams/team_nope/secrets/x/value'], ['DELETE', '/v1/teams/team_nope/secrets/x']] as const) {
    const res = await call({ method, url, payload: method === 'POST' ? { name: 'x', value: 'y' } : undefined })
    t.equal(res.statusCode, 404, `${method} ${url}`)
    t.equal(res.json().code, 'team_not_found')
  }
})

t.test('unknown routes are 404 with the error body', async t => {
  const { call } = await buildTestApp(t)
  const res = await call({ method: 'GET', url: '/v1/nothing-here' })
  t.equal(res.statusCode, 404)
  t.match(res.json(), { error: 'Not Found', code: 'not_found', message: String })
})

t.test('every answer says not to cache it', async t => {
  const { call } = await buildTestApp(t)
  for (const res of [
    await call({ method: 'GET', url: '/v1/secrets' }),
    await call({ method: 'GET', url: '/v1/secrets/x' }),
    await call({ method: 'GET', url: '/v1/secrets', key: null })
  ]) {
    t.equal(res.headers['cache-control'], 'no-store')
    t.equal(res.headers['x-content-type-options'], 'nosniff')
  }
})
