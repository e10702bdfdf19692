import { createHash, randomBytes } from 'node:crypto'
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import { runTroveToExit, startTrove } from '../fixtures/process.js'

/**
 * A server given the wrong key refuses to start with a clear one-line message and leaves every
 * file of the database exactly as it was.
 */
const KEY = 'wrong-keys-test-key-0123456789'

function hashes (dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).filter(f => f.startsWith('trove.db')).map(f =>
    [f, createHash('sha256').update(readFileSync(join(dir, f))).digest('hex')]))
}

t.test('wrong, truncated and exposed master keys; a tampered keyring', async t => {
  const dir = t.testdir()
  const data = join(dir, 'data')
  const keyFile = join(dir, 'master.key')
  const goodKey = randomBytes(32).toString('base64')
  writeFileSync(keyFile, goodKey, { mode: 0o600 })
  const env = { TROVE_DATA_DIR: data, TROVE_MASTER_KEY_FILE: keyFile, TROVE_BOOTSTRAP_KEY: KEY }
  const first = await startTrove(env)
  await fetch(`${first.url}/v1/secrets`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: '{"name":"kept","value":"v"}' })
  t.equal(await first.stop(), 0)
  const before = hashes(data)

  const cases: [string, () => void, RegExp][] = [
    ['a wrong key', () => writeFileSync(keyFile, randomBytes(32).toString('base64')), /master key does not match this database/],
    ['a truncated key file', () => writeFileSync(keyFile, goodKey.slice(0, 30)), /must hold 32 random bytes/],
    ['an empty key file', () => writeFileSync(keyFile, ''), /must hold 32 random bytes/],
    ['a key file others can read', () => { writeFileSync(keyFile, goodKey); chmodSync(keyFile, 0o644) }, /chmod 600/],
    ['a missing key file', () => writeFileSync(join(dir, 'elsewhere'), ''), /cannot read the master key file/]
  ]
  let refused = 0
  for (const [what, arrange, message] of cases) {
    arrange()
    const result = await runTroveToExit(what === 'a missing key file' ? { ...env, TROVE_MASTER_KEY_FILE: join(dir, 'nope.key') } : env)
    t.not(result.code, 0, `${what}: refuses to start`)
    t.match(result.stderr, message, `${what}: says why`)
    t.equal(result.stderr.trim().split('\n').length, 1, `${what}: in one line`)
    t.notOk(result.stderr.includes(goodKey), `${what}: never prints the key`)
    t.same(hashes(data), before, `${what}: the database files are unchanged`)
    if (result.code !== 0) refused++
    writeFileSync(keyFile, goodKey)
    chmodSync(keyFile, 0o600)
  }

  const db = new Database(join(data, 'trove.db'))
  const wrapped = db.prepare("SELECT wrapped FROM keyring WHERE purpose = 'dek'").pluck().get() as Buffer
  wrapped[wrapped.length - 1] = wrapped[wrapped.length - 1]! ^ 1
  db.prepare("UPDATE keyring SET wrapped = ? WHERE purpose = 'dek'").run(wrapped)
  db.close()
  const tampered = await runTroveToExit(env)
  t.not(tampered.code, 0, 'a tampered data key refuses to start')
  t.match(tampered.stderr, /^trove: the keyring in the database is damaged/)
  t.comment(`wrong keys: ${refused + (tampered.code === 0 ? 0 : 1)} of ${cases.length + 1} bad starts refused, database unchanged each time`)
})
