import t from 'tap'
import { buildTestApp } from '../fixtures/app.js'

t.test('each key gets its own requests per second; the 429 says when to retry', async t => {
  const { call } = await buildTestApp(t, { rateLimit: 3 })
  const other = (await call({ method: 'POST', url: '/v1/api_keys', payload: { name: 'other', scopes: ['secrets:list'] } })).json().key
  const statuses: number[] = []
  let limited
  for (let i = 0; i < 5; i++) {
    const res = await call({ method: 'GET', url: '/v1/secrets' })
    statuses.push(res.statusCode)
    if (res.statusCode === 429) limited = res
  }
  t.ok(statuses.includes(429), `statuses ${statuses.join(',')}`)
  t.ok(limited)
  t.match(limited!.json(), { error: 'Rate limit exceeded. Please try again later.', message: String, code: 'rate_limited', retry_after: Number })
  t.ok(limited!.json().retry_after >= 1)
  t.equal(limited!.headers['retry-after'], String(limited!.json().retry_after))
  t.equal((await call({ method: 'GET', url: '/v1/secrets', key: other })).statusCode, 200, 'another key is not limited')
})

t.test('failed authentications are limited per address, even before a right key', async t => {
  const { call } = await buildTestApp(t, { authFailureLimit: 3 })
  for (let i = 0; i < 3; i++) t.equal((await call({ method: 'GET', url: '/v1/secrets', key: `wrong-key-${i}-0123456789` })).statusCode, 401)
  const blocked = await call({ method: 'GET', url: '/v1/secrets', key: 'wrong-key-x-0123456789' })
  t.equal(blocked.statusCode, 429)
  t.equal(blocked.json().code, 'rate_limited')
  t.equal((await call({ method: 'GET', url: '/v1/secrets' })).statusCode, 429, 'a right key from a blocked address is refused too')
  const elsewhere = await call({ method: 'GET', url: '/v1/secrets', remoteAddress: '10.9.9.9' })
  t.equal(elsewhere.statusCode, 200, 'other addresses are served')
})

t.test('refusals for a missing scope count against the key\'s limit, so they cannot flood the audit log', async t => {
  const { call } = await buildTestApp(t, { rateLimit: 3 })
  const lister = (await call({ method: 'POST', url: '/v1/api_keys', payload: { name: 'lister', scopes: ['secrets:list'] } })).json()
  const statuses: number[] = []
  for (let i = 0; i < 8; i++) statuses.push((await call({ method: 'GET', url: '/v1/api_keys', key: lister.key })).statusCode)
  t.same(statuses.slice(0, 3), [403, 403, 403], 'refused for the scope while within the limit')
  t.ok(statuses.slice(3).every(status => status === 429), `then limited: ${statuses.join(',')}`)
  await new Promise(resolve => setTimeout(resolve, 1100))
  const denied = (await call({ method: 'GET', url: `/v1/audit_logs?event_type=ACCESS_DENIED&key_id=${String(lister.id)}` })).json().audit_logs
  t.equal(denied.length, 3, 'one audit entry per refusal within the limit, none for the limited ones')
})
