import { randomBytes } from 'node:crypto'
import t from 'tap'
import { createCipher } from '../../src/crypto/cipher.js'
import { createKeyringRecords, unlockKeyring } from '../../src/crypto/keyring.js'
import { loadSodium } from '../../src/crypto/sodium.js'

const sodium = await loadSodium()
const cipher = createCipher(sodium)

t.test('the right master key unlocks the keyring; a wrong one is refused', async t => {
  const master = randomBytes(32)
  const records = createKeyringRecords(sodium, cipher, Buffer.from(master), new Date().toISOString())
  const keyring = unlockKeyring(sodium, cipher, Buffer.from(master), records)
  t.equal(keyring.activeTerm, 1)
  t.equal(keyring.pepper.length, 32)
  t.throws(() => unlockKeyring(sodium, cipher, randomBytes(32), records), { name: 'StartupError', message: /master key does not match/ })
})

t.test('the keyring rows hold no key material in the clear', async t => {
  const master = randomBytes(32)
  const records = createKeyringRecords(sodium, cipher, Buffer.from(master), new Date().toISOString())
  const keyring = unlockKeyring(sodium, cipher, Buffer.from(master), records)
  for (const record of records) {
    t.notOk(record.wrapped.includes(Buffer.from(keyring.pepper)), `${record.purpose} does not hold the pepper`)
    t.notOk(record.wrapped.includes(master), `${record.purpose} does not hold the master key`)
  }
})

t.test('each team gets its own key; unknown terms have none', async t => {
  const master = randomBytes(32)
  const keyring = unlockKeyring(sodium, cipher, master, createKeyringRecords(sodium, cipher, Buffer.from(master), ''))
  const a = keyring.teamKey(1, 1)
  const b = keyring.teamKey(1, 2)
  t.ok(a && b)
  t.not(Buffer.from(a!).toString('hex'), Buffer.from(b!).toString('hex'))
  t.same(keyring.teamKey(1, 1), a, 'stable')
  t.equal(keyring.teamKey(99, 1), undefined)
})

t.test('a keyring without its check value is refused', async t => {
  const master = randomBytes(32)
  const records = createKeyringRecords(sodium, cipher, Buffer.from(master), '').filter(r => r.purpose !== 'check')
  t.throws(() => unlockKeyring(sodium, cipher, master, records), { name: 'StartupError' })
})
