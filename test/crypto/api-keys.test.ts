import t from 'tap'
import { API_KEY_PREFIX, classifyApiKey, generateApiKey, hashApiKey } from '../../src/crypto/api-keys.js'

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
