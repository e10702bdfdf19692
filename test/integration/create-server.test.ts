import t from 'tap'
import { createServer } from '../../src/index.js'

t.test('createServer starts an in-memory Trove on a free port', async t => {
  const server = await createServer({ apiKey: 'rig-key-0123456789abcdef' })
  t.teardown(() => server.close())
  t.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  t.equal(server.apiKey, 'rig-key-0123456789abcdef')
  const headers = { authorization: `Api-Key ${server.apiKey}` }
  const created = await fetch(`${server.url}/v1/secrets`, { method: 'POST', headers, body: JSON.stringify({ name: 'hf_access_token', value: 'hf_abc' }) })
  t.equal(created.status, 200)
  const list = await fetch(`${server.url}/v1/secrets`, { headers })
  t.match(await list.json(), { secrets: [{ name: 'hf_access_token', team_name: 'default' }] })
})

t.test('without a key it makes one; two servers are independent', async t => {
  const a = await createServer()
  const b = await createServer()
  t.teardown(async () => { await a.close(); await b.close() })
  t.match(a.apiKey, /^trove_/)
  t.not(a.url, b.url)
  await fetch(`${a.url}/v1/secrets`, { method: 'POST', headers: { authorization: `Bearer ${a.apiKey}` }, body: '{"name":"only_in_a","value":"v"}' })
  t.same(await (await fetch(`${b.url}/v1/secrets`, { headers: { authorization: `Bearer ${b.apiKey}` } })).json(), { secrets: [] })
  t.equal((await fetch(`${b.url}/v1/secrets`, { headers: { authorization: `Bearer ${a.apiKey}` } })).status, 401, 'keys do not cross')
})

t.test('close() stops listening', async t => {
  const server = await createServer()
  await server.close()
  await t.rejects(fetch(`${server.url}/healthz`))
})

t.test('a short key is refused', async t => {
  await t.rejects(createServer({ apiKey: 'short' }), TypeError)
})
