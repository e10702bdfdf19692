import { randomBytes } from 'node:crypto'
import t from 'tap'
import { createCipher, encodeContext, OVERHEAD_BYTES, termOf } from '../../src/crypto/cipher.js'
import { loadSodium } from '../../src/crypto/sodium.js'
import { IntegrityError } from '../../src/errors.js'

const sodium = await loadSodium()
const cipher = createCipher(sodium)
const key = randomBytes(32)
const keys = (term: number) => term === 7 ? key : undefined
const context = ['secret', 'team_a', 'id1', 'name', 1]

t.test('round-trips any bytes, including empty and multi-line', async t => {
  for (const text of ['', 'x', 'line one\nline two\r\n', '🔑 ключ', 'a'.repeat(65536)]) {
    const blob = cipher.seal(key, 7, context, Buffer.from(text))
    t.equal(blob.length, Buffer.byteLength(text) + OVERHEAD_BYTES)
    t.equal(Buffer.from(cipher.open(keys, context, blob)).toString(), text)
  }
})

t.test('the blob carries its format and term, not the plaintext', async t => {
  const blob = cipher.seal(key, 7, context, Buffer.from('canary-plaintext'))
  t.equal(blob[0], 1)
  t.equal(termOf(blob), 7)
  t.notOk(blob.includes(Buffer.from('canary-plaintext')))
})

t.test('two seals of one value differ (random nonce)', async t => {
  const a = cipher.seal(key, 7, context, Buffer.from('same'))
  const b = cipher.seal(key, 7, context, Buffer.from('same'))
  t.not(a.toString('hex'), b.toString('hex'))
})

t.test('no nonce is used twice, also across refills of the nonce pool', async t => {
  const nonces = new Set<string>()
  const seals = 2000
  for (let i = 0; i < seals; i++) {
    const blob = cipher.seal(key, 7, context, Buffer.from('same'))
    // fmt(1) ‖ term(4) ‖ nonce(24)
    nonces.add(blob.subarray(5, 29).toString('hex'))
  }
  t.equal(nonces.size, seals)
})

t.test('a flipped bit anywhere is an integrity error', async t => {
  const blob = cipher.seal(key, 7, context, Buffer.from('value'))
  for (let i = 0; i < blob.length; i++) {
    const tampered = Buffer.from(blob)
    tampered[i] = tampered[i]! ^ 0x01
    t.throws(() => cipher.open(keys, context, tampered), IntegrityError, `byte ${i}`)
  }
})

t.test('truncated or extended blobs are integrity errors', async t => {
  const blob = cipher.seal(key, 7, context, Buffer.from('value'))
  for (const bad of [blob.subarray(0, 0), blob.subarray(0, 28), blob.subarray(0, OVERHEAD_BYTES - 1), blob.subarray(0, blob.length - 1), Buffer.concat([blob, Buffer.from([0])])]) {
    t.throws(() => cipher.open(keys, context, bad), IntegrityError)
  }
})

t.test('a blob moved to another row does not open', async t => {
  const blob = cipher.seal(key, 7, context, Buffer.from('value'))
  t.throws(() => cipher.open(keys, ['secret', 'team_b', 'id1', 'name', 1], blob), IntegrityError, 'other team')
  t.throws(() => cipher.open(keys, ['secret', 'team_a', 'id2', 'name', 1], blob), IntegrityError, 'other secret')
  t.throws(() => cipher.open(keys, ['secret', 'team_a', 'id1', 'name', 2], blob), IntegrityError, 'other version')
})

t.test('a wrong key or unknown term does not open', async t => {
  const blob = cipher.seal(key, 7, context, Buffer.from('value'))
  t.throws(() => cipher.open(() => randomBytes(32), context, blob), IntegrityError)
  t.throws(() => cipher.open(() => undefined, context, blob), IntegrityError)
})

t.test('context fields are length-prefixed, so boundaries cannot shift', async t => {
  t.not(encodeContext(['ab', 'c']).toString('hex'), encodeContext(['a', 'bc']).toString('hex'))
})
