import t from 'tap'
import { loadConfig } from '../src/config.js'

t.test('defaults match the README', async t => {
  const config = loadConfig({})
  t.equal(config.host, '127.0.0.1')
  t.equal(config.port, 8080)
  t.equal(config.dataDir, './data')
  t.equal(config.dbPath, 'data/trove.db')
  t.equal(config.logLevel, 'info')
  t.equal(config.masterKey, undefined)
})

t.test('TROVE_DB defaults to a file in TROVE_DATA_DIR and may be :memory:', async t => {
  t.equal(loadConfig({ TROVE_DATA_DIR: '/srv/trove' }).dbPath, '/srv/trove/trove.db')
  t.equal(loadConfig({ TROVE_DB: ':memory:' }).dbPath, ':memory:')
})

t.test('TROVE_DATABASE_URL selects PostgreSQL and must be a postgres URL', async t => {
  t.equal(loadConfig({}).databaseUrl, undefined, 'SQLite without it')
  t.equal(loadConfig({ TROVE_DATABASE_URL: 'postgres://trove@db:5432/trove' }).databaseUrl, 'postgres://trove@db:5432/trove')
  t.equal(loadConfig({ TROVE_DATABASE_URL: 'postgresql://db/trove' }).databaseUrl, 'postgresql://db/trove')
  for (const bad of ['mysql://db/trove', 'db:5432/trove', 'https://db/trove']) {
    t.throws(() => loadConfig({ TROVE_DATABASE_URL: bad }), { name: 'StartupError', message: /TROVE_DATABASE_URL must start with postgres:\/\/ or postgresql:\/\// }, bad)
  }
})

t.test('TROVE_DATABASE_QUERY_TIMEOUT_MS bounds a PostgreSQL statement: 10 s unless set, 100 ms to 10 minutes', async t => {
  t.equal(loadConfig({}).databaseQueryTimeoutMs, 10_000)
  t.equal(loadConfig({ TROVE_DATABASE_QUERY_TIMEOUT_MS: '2500' }).databaseQueryTimeoutMs, 2500)
  t.equal(loadConfig({ TROVE_DATABASE_QUERY_TIMEOUT_MS: '' }).databaseQueryTimeoutMs, 10_000, 'empty is unset')
  for (const [bad, why] of [['0', 'at least 100'], ['99', 'at least 100'], ['600001', 'at most 600000'], ['5s', 'a whole number'], ['-1', 'a whole number']] as const) {
    t.throws(() => loadConfig({ TROVE_DATABASE_QUERY_TIMEOUT_MS: bad }), { name: 'StartupError', message: `invalid setting: TROVE_DATABASE_QUERY_TIMEOUT_MS must be ${why}` }, bad)
  }
})

t.test('port 0 means any free port', async t => {
  t.equal(loadConfig({ TROVE_PORT: '0' }).port, 0)
})

t.test('a bad setting is refused naming the variable', async t => {
  const cases: Record<string, string> = {
    TROVE_PORT: 'eighty',
    TROVE_LOG_LEVEL: 'loud',
    TROVE_BOOTSTRAP_KEY: 'short'
  }
  for (const [name, value] of Object.entries(cases)) {
    t.throws(() => loadConfig({ [name]: value }), { name: 'StartupError', message: new RegExp(name) }, name)
  }
  t.throws(() => loadConfig({ TROVE_PORT: '70000' }), /TROVE_PORT/)
})

t.test('TROVE_TRUST_PROXY lists the proxies to believe: none unless set', async t => {
  t.equal(loadConfig({}).trustProxy, undefined, 'unset trusts no proxy')
  t.equal(loadConfig({ TROVE_TRUST_PROXY: '' }).trustProxy, undefined, 'empty is unset')
  t.same(loadConfig({ TROVE_TRUST_PROXY: '127.0.0.1,10.0.0.0/8,::1' }).trustProxy, ['127.0.0.1', '10.0.0.0/8', '::1'])
  t.same(loadConfig({ TROVE_TRUST_PROXY: ' 192.0.2.7 , fd00::/8, ' }).trustProxy, ['192.0.2.7', 'fd00::/8'], 'spaces and a trailing comma are allowed')
  t.same(loadConfig({ TROVE_TRUST_PROXY: '172.16.0.0/12,2001:db8::/128,10.1.2.3/32' }).trustProxy, ['172.16.0.0/12', '2001:db8::/128', '10.1.2.3/32'])
  t.same(loadConfig({ TROVE_TRUST_PROXY: 'fc00::/7,::ffff:10.0.0.0/104' }).trustProxy, ['fc00::/7', '::ffff:10.0.0.0/104'], 'the widest private ranges')
})

t.test('TROVE_TRUST_PROXY refuses what is not an address or a CIDR range, naming the entry', async t => {
  for (const bad of ['proxy.local', '10.0.0', '10.0.0.256', '10.0.0.0/33', '::1/129', '10.0.0.0/8/8', '10.0.0.0/', '10.0.0.0/a', 'loopback', '1', 'false']) {
    t.throws(() => loadConfig({ TROVE_TRUST_PROXY: `127.0.0.1,${bad}` }), {
      name: 'StartupError',
      message: `invalid setting: TROVE_TRUST_PROXY "${bad}" is not an IP address or CIDR range (list the proxies' addresses, comma-separated)`
    }, bad)
  }
  t.throws(() => loadConfig({ TROVE_TRUST_PROXY: 'a,b' }), { message: /TROVE_TRUST_PROXY "a" .*; TROVE_TRUST_PROXY "b" / }, 'every bad entry is named')
})

t.test('TROVE_TRUST_PROXY never trusts everyone: true, * or a range wider than /8 (IPv4), /7 (IPv6) asks for the proxy addresses', async t => {
  // wide ranges together cover every peer: 0.0.0.0/1 and 128.0.0.0/1, or ::ffff:0:0/96 for every IPv4 peer
  for (const everyone of ['true', 'TRUE', '*', '0.0.0.0/0', '::/0', '10.0.0.1,true', '0.0.0.0/1', '10.0.0.1,128.0.0.0/1', '10.0.0.0/7', '::ffff:0:0/96', '::/1', '8000::/1']) {
    t.throws(() => loadConfig({ TROVE_TRUST_PROXY: everyone }), {
      name: 'StartupError',
      message: /^invalid setting: TROVE_TRUST_PROXY must list the proxies' addresses \(IPs or CIDR ranges, e\.g\. 127\.0\.0\.1,10\.0\.0\.0\/8\), not "[^"]+": trusting \(nearly\) every peer would let any client forge its address$/
    }, everyone)
  }
})

t.test('empty values count as unset', async t => {
  t.equal(loadConfig({ TROVE_PORT: '', TROVE_MASTER_KEY: '' }).port, 8080)
})

t.test('other variables are ignored', async t => {
  t.equal(loadConfig({ PORT: 'x', HOME: '/root' }).port, 8080)
})
