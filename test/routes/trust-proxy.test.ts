import t, { type Test } from 'tap'
import { startServer } from '../../src/run-server.js'
import { buildTestApp, TEST_KEY, type TestApp } from '../fixtures/app.js'

// app.inject() connects from 127.0.0.1 unless given a remoteAddress: most tests list it as the proxy
const WRONG_KEY = 'wrong-key-0123456789abcdef'

async function failTwice (call: TestApp['call'], headers: Record<string, string>, remoteAddress?: string): Promise<number[]> {
  const statuses: number[] = []
  for (let i = 0; i < 2; i++) statuses.push((await call({ method: 'GET', url: '/v1/secrets', key: WRONG_KEY, headers, remoteAddress })).statusCode)
  return statuses
}

/** The client_ip of each audit entry of a type, newest first. */
async function auditIps (t: Test, call: TestApp['call'], eventType: string, remoteAddress?: string): Promise<string[]> {
  const res = await call({ method: 'GET', url: `/v1/audit_logs?event_type=${eventType}`, remoteAddress })
  t.equal(res.statusCode, 200, 'the audit log is readable')
  return res.json().audit_logs.map((entry: { client_ip: string }) => entry.client_ip)
}

t.test('behind a trusted proxy each forwarded client is locked out on its own', async t => {
  const { call } = await buildTestApp(t, { authFailureLimit: 2, trustProxy: ['127.0.0.1'] })
  const a = { 'x-forwarded-for': '198.51.100.1' }
  const b = { 'x-forwarded-for': '198.51.100.2' }
  t.same(await failTwice(call, a), [401, 401])
  t.equal((await call({ method: 'GET', url: '/v1/secrets', headers: a })).statusCode, 429, 'client A is blocked, even with a right key')
  t.equal((await call({ method: 'GET', url: '/v1/secrets', headers: b })).statusCode, 200, 'client B behind the same proxy is served')
  t.equal((await call({ method: 'GET', url: '/v1/secrets' })).statusCode, 200, 'the proxy\'s own address is not blocked')
  t.same(await failTwice(call, b), [401, 401], 'client B has its own count')
  t.same(await auditIps(t, call, 'AUTH_FAILED'), ['198.51.100.2', '198.51.100.2', '198.51.100.1', '198.51.100.1'], 'the audit names the clients, not the proxy')
})

t.test('a read through a trusted proxy is audited with the forwarded address', async t => {
  const { call } = await buildTestApp(t, { trustProxy: ['10.0.0.0/8', '::1'] })
  t.equal((await call({ method: 'POST', url: '/v1/secrets', payload: { name: 'db_password', value: 'v' } })).statusCode, 200)
  const read = await call({ method: 'GET', url: '/v1/secrets/db_password/value', remoteAddress: '10.1.2.3', headers: { 'x-forwarded-for': '203.0.113.9' } })
  t.equal(read.statusCode, 200)
  const viaIpv6 = await call({ method: 'GET', url: '/v1/secrets/db_password/value', remoteAddress: '::1', headers: { 'x-forwarded-for': '2001:db8::7' } })
  t.equal(viaIpv6.statusCode, 200)
  t.same(await auditIps(t, call, 'SECRET_READ'), ['2001:db8::7', '203.0.113.9'])
  const [created] = await auditIps(t, call, 'SECRET_UPDATED')
  t.equal(created, '127.0.0.1', 'a peer outside the list is its own client address')
})

t.test('what a client writes before the proxy\'s own entry in X-Forwarded-For is not believed', async t => {
  const { call } = await buildTestApp(t, { authFailureLimit: 2, trustProxy: ['127.0.0.1'] })
  // the proxy appends the address it saw to whatever the client sent
  const statuses: number[] = []
  for (const forged of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) {
    statuses.push((await call({ method: 'GET', url: '/v1/secrets', key: WRONG_KEY, headers: { 'x-forwarded-for': `${forged}, 198.51.100.1` } })).statusCode)
  }
  t.same(statuses, [401, 401, 429], 'the forged first entries do not make new clients')
  t.same(await auditIps(t, call, 'AUTH_FAILED'), ['198.51.100.1', '198.51.100.1'])
})

t.test('X-Forwarded-For from a peer that is not a listed proxy is ignored', async t => {
  const { call } = await buildTestApp(t, { authFailureLimit: 2, trustProxy: ['10.0.0.1'] })
  const direct = '192.0.2.50'
  t.same(await failTwice(call, { 'x-forwarded-for': '198.51.100.1' }, direct), [401, 401])
  const dodge = await call({ method: 'GET', url: '/v1/secrets', headers: { 'x-forwarded-for': '198.51.100.99' }, remoteAddress: direct })
  t.equal(dodge.statusCode, 429, 'a new forwarded address does not lift the block')
  t.same(await auditIps(t, call, 'AUTH_FAILED'), [direct, direct], 'the audit shows the real peer')
})

t.test('without TROVE_TRUST_PROXY, X-Forwarded-For is ignored', async t => {
  const { call } = await buildTestApp(t, { authFailureLimit: 2 })
  t.same(await failTwice(call, { 'x-forwarded-for': '198.51.100.1' }), [401, 401])
  const dodge = await call({ method: 'GET', url: '/v1/secrets', headers: { 'x-forwarded-for': '198.51.100.99' } })
  t.equal(dodge.statusCode, 429, 'a new forwarded address does not lift the block')
  // 127.0.0.1 is the blocked one, so the audit is read from elsewhere
  t.same(await auditIps(t, call, 'AUTH_FAILED', '10.9.9.9'), ['127.0.0.1', '127.0.0.1'])
})

t.test('TROVE_TRUST_PROXY in the environment reaches the server the process runs', async t => {
  const { app, trove } = await startServer({
    TROVE_DB: ':memory:', TROVE_PORT: '0', TROVE_BOOTSTRAP_KEY: TEST_KEY, TROVE_LOG_LEVEL: 'silent', TROVE_TRUST_PROXY: '127.0.0.1'
  })
  t.teardown(async () => {
    await app.close()
    await trove.close()
  })
  const call: TestApp['call'] = ({ key, ...rest }) =>
    app.inject({ ...rest, headers: { ...rest.headers, authorization: `Bearer ${key ?? TEST_KEY}` } })
  t.same(await failTwice(call, { 'x-forwarded-for': '198.51.100.1' }), [401, 401])
  t.same(await auditIps(t, call, 'AUTH_FAILED'), ['198.51.100.1', '198.51.100.1'])
})
