import { randomBytes } from 'node:crypto'
import t from 'tap'
import { API_KEY_PREFIX, classifyApiKey, generateApiKey, grantIntact, grantMac, hashApiKey } from '../../src/crypto/api-keys.js'

t.test('generated keys have the scanner-friendly format and a valid checksum', async t => {
  const seen = new Set<string>()
  for (let i = 0; i < 2000; i++) {
    const { id, key } = generateApiKey()
    t.match(key, /^trove_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}$/)
    t.ok(key.startsWith(`${API_KEY_PREFIX}${id}_`))
    if (classifyApiKey(key) !== 'trove') t.fail(`checksum failed for ${key}`)
    seen.add(key)
  }
  t.equal(seen.size, 2000, 'no duplicates')
})

t.test('a typo is caught by the checksum', async t => {
  const { key } = generateApiKey()
  const last = key.at(-8)!
  const typo = key.slice(0, -8) + (last === 'a' ? 'b' : 'a') + key.slice(-7)
  t.equal(classifyApiKey(typo), 'malformed')
  t.equal(classifyApiKey(key.slice(0, -1)), 'malformed')
  t.equal(classifyApiKey('trove_short'), 'malformed')
})

t.test('other strings are foreign, for bootstrap keys', async t => {
  t.equal(classifyApiKey('my-fixed-test-key-123456'), 'foreign')
})

t.test('the hash is keyed', async t => {
  const a = hashApiKey(Buffer.alloc(32, 1), 'k')
  const b = hashApiKey(Buffer.alloc(32, 2), 'k')
  t.equal(a.length, 32)
  t.not(a.toString('hex'), b.toString('hex'))
})

t.test('the grant MAC covers every column of a key row but its last use', async t => {
  const grantKey = randomBytes(32)
  const key = {
    id: 'k1',
    name: 'ci',
    hash: randomBytes(32),
    scopes: ['secrets:list'],
    teams: ['team_a'],
    createdAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2027-01-01T00:00:00.000Z',
    revokedAt: null,
    createdBy: 'admin',
    lastUsedAt: null as string | null
  }
  const sealed = { ...key, grantMac: grantMac(grantKey, key) }
  t.ok(grantIntact(grantKey, sealed))
  const used = { ...sealed, lastUsedAt: '2026-06-01T00:00:00.000Z' }
  t.ok(grantIntact(grantKey, used), 'last use is written in batches, unsealed')
  const edits: Record<string, unknown> = {
    id: 'k2',
    name: 'cj',
    hash: randomBytes(32),
    scopes: ['admin'],
    teams: null,
    createdAt: '2026-01-02T00:00:00.000Z',
    expiresAt: null,
    revokedAt: '2026-02-01T00:00:00.000Z',
    createdBy: null
  }
  for (const [field, value] of Object.entries(edits)) t.notOk(grantIntact(grantKey, { ...sealed, [field]: value }), `${field} changed`)
  t.notOk(grantIntact(grantKey, { ...sealed, scopes: ['secrets:list', 'admin'] }), 'a scope added')
  t.notOk(grantIntact(grantKey, { ...sealed, grantMac: null }), 'no MAC')
  t.notOk(grantIntact(grantKey, { ...sealed, grantMac: sealed.grantMac.subarray(0, 16) }), 'a short MAC')
  t.notOk(grantIntact(randomBytes(32), sealed), 'another store\'s key')
})
