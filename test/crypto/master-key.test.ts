import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { generateMasterKeyFile, parseMasterKey, readMasterKeyFile } from '../../src/crypto/master-key.js'

const good = Buffer.alloc(32, 7).toString('base64')

t.test('parses 32 bytes of base64, with surrounding whitespace', async t => {
  t.equal(parseMasterKey(` ${good}\n`, 'X').length, 32)
})

t.test('refuses wrong lengths and non-base64, naming the origin', async t => {
  for (const bad of [Buffer.alloc(16).toString('base64'), Buffer.alloc(33).toString('base64'), 'not base64 at all!', '']) {
    t.throws(() => parseMasterKey(bad, 'TROVE_MASTER_KEY'), { name: 'StartupError', message: /^TROVE_MASTER_KEY/ })
  }
})

t.test('a generated key file is 0600 and never overwrites an existing one', async t => {
  const dir = t.testdir()
  const path = join(dir, 'master.key')
  const key = generateMasterKeyFile(path)
  t.equal(statSync(path).mode & 0o777, 0o600)
  t.same(readMasterKeyFile(path, 'file'), key)
  t.throws(() => generateMasterKeyFile(path), /EEXIST/)
  t.equal(readFileSync(path, 'utf8').trim(), key.toString('base64'))
})

t.test('a key file others can read is refused', async t => {
  const dir = t.testdir()
  const path = join(dir, 'master.key')
  writeFileSync(path, good)
  chmodSync(path, 0o644)
  t.throws(() => readMasterKeyFile(path, 'TROVE_MASTER_KEY_FILE'), /chmod 600/)
  chmodSync(path, 0o600)
  t.equal(readMasterKeyFile(path, 'TROVE_MASTER_KEY_FILE').length, 32)
})

t.test('a missing or truncated key file is refused', async t => {
  const dir = t.testdir()
  t.throws(() => readMasterKeyFile(join(dir, 'nope'), 'TROVE_MASTER_KEY_FILE'), /cannot read/)
  const path = join(dir, 'short.key')
  writeFileSync(path, good.slice(0, 20), { mode: 0o600 })
  t.throws(() => readMasterKeyFile(path, 'TROVE_MASTER_KEY_FILE'), /32 random bytes/)
})
