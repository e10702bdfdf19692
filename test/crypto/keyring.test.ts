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

/**
 * Two processes sharing one store, each with its own keyring unlocked from the same rows: what
 * one changes (a term added, one retired, a rekey) the other takes on with `refresh`, unwrapping
 * with the KEK it keeps (its master key is wiped after start).
 */
t.test('refresh: another process\'s new term is unwrapped with the KEK kept, a retired one forgotten', async t => {
  const master = randomBytes(32)
  let stored = createKeyringRecords(sodium, cipher, Buffer.from(master), '')
  let loads = 0
  const load = async () => { loads++; return stored }
  const a = unlockKeyring(sodium, cipher, Buffer.from(master), stored, load)
  const b = unlockKeyring(sodium, cipher, master, stored, load)
  master.fill(0)

  const { record, kekCheck, commit } = a.newDataKey('')
  t.same(kekCheck, stored.find(r => r.purpose === 'check')!.wrapped, 'the new key names the check value of the KEK that wraps it')
  stored = [...stored.map(r => r.purpose === 'dek' ? { ...r, state: 'decrypt-only' as const } : r), record]
  commit()
  t.equal(b.activeTerm, 1)
  t.notOk(b.hasTerm(2))
  await Promise.all([b.refresh(), b.refresh()])
  t.equal(loads, 1, 'calls made together share one read')
  t.equal(b.activeTerm, 2)
  t.same(b.terms, [1, 2])
  t.same(b.teamKey(2, 7), a.teamKey(2, 7), 'the same data key in both processes')

  stored = stored.filter(r => !(r.purpose === 'dek' && r.term === 1))
  a.dropTerm(1)
  await b.refresh()
  t.same(b.terms, [2], 'a term no longer stored is forgotten')
  t.equal(b.teamKey(1, 7), undefined)

  const other = randomBytes(32)
  const alone = unlockKeyring(sodium, cipher, other, createKeyringRecords(sodium, cipher, Buffer.from(other), ''))
  await alone.refresh()
  t.equal(alone.activeTerm, 1, 'a keyring tied to no store has nothing to catch up with')
})

t.test('after another process rekeyed, refresh fails clearly and the keys held keep working', async t => {
  const master = randomBytes(32)
  let stored = createKeyringRecords(sodium, cipher, Buffer.from(master), '')
  const load = async () => stored
  const a = unlockKeyring(sodium, cipher, Buffer.from(master), stored, load)
  const b = unlockKeyring(sodium, cipher, Buffer.from(master), stored, load)
  const before = Buffer.from(b.teamKey(1, 3)!)

  const rekeyed = a.rewrapAll(randomBytes(32), stored, '')
  stored = rekeyed.records
  rekeyed.commit()
  await t.rejects(b.refresh(), { name: 'MasterKeyChanged', statusCode: 503, code: 'master_key_changed', message: /restart this process with the new master key/ })
  t.same(Buffer.from(b.teamKey(1, 3)!), before, 'the data key B holds is unchanged and still seals and opens')
  t.equal(b.activeTerm, 1)
  t.throws(() => b.rewrapAll(randomBytes(32), stored, ''), { name: 'MasterKeyChanged' }, 'B cannot rekey with a KEK that is gone')
  const next = a.newDataKey('')
  t.same(next.kekCheck, stored.find(r => r.purpose === 'check')!.wrapped, 'A wraps new keys under the KEK the store has now')
  await a.refresh()
  t.equal(a.activeTerm, 1, 'the rekeying process still reads the store')
})

t.test('refresh refuses a stored keyring without an active data key, and changes nothing', async t => {
  const master = randomBytes(32)
  const records = createKeyringRecords(sodium, cipher, Buffer.from(master), '')
  let stored = records
  const keyring = unlockKeyring(sodium, cipher, master, records, async () => stored)
  stored = records.filter(r => r.purpose !== 'dek')
  await t.rejects(keyring.refresh(), { name: 'IntegrityError' })
  t.same(keyring.terms, [1])
})

t.test('a new keyring is sealed; sealing an old one is a new check value; a rekey keeps either state', async t => {
  const master = randomBytes(32)
  const records = createKeyringRecords(sodium, cipher, Buffer.from(master), '')
  const keyring = unlockKeyring(sodium, cipher, Buffer.from(master), records)
  t.equal(keyring.grantsSealed, true, 'a keyring made now marks its key rows sealed')
  t.equal(keyring.grantKey.length, 32)
  t.notSame(Buffer.from(keyring.grantKey), Buffer.from(keyring.pepper), 'the grant key is not the pepper')

  // a keyring as Trove wrote it before grant MACs: the same rows with the older check value
  const kek = sodium.crypto_kdf_derive_from_key(32, 1, 'trovekek', master)
  const old = records.map(r => r.purpose === 'check' ? { ...r, wrapped: cipher.seal(kek, 0, ['trove-keyring', 'check', 0], Buffer.from('trove-check-v1')) } : r)
  const unsealed = unlockKeyring(sodium, cipher, Buffer.from(master), old)
  t.equal(unsealed.grantsSealed, false, 'the older check value: rows not sealed yet')
  t.same(Buffer.from(unsealed.grantKey), Buffer.from(keyring.grantKey), 'the same grant key either way')
  const sealedCheck = unsealed.sealedGrantsCheck('')
  t.equal(unlockKeyring(sodium, cipher, Buffer.from(master), old.map(r => r.purpose === 'check' ? sealedCheck : r)).grantsSealed, true)

  const newMaster = randomBytes(32)
  for (const [state, rows, from] of [['sealed', records, keyring], ['not sealed', old, unsealed]] as const) {
    const rekeyed = from.rewrapAll(Buffer.from(newMaster), rows, '').records
    t.equal(unlockKeyring(sodium, cipher, Buffer.from(newMaster), rekeyed).grantsSealed, from.grantsSealed, `rekeyed ${state}, still ${state}`)
  }
})
