import { randomBytes } from 'node:crypto'
import { chmodSync, copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import { CLI_KEY, runCli } from '../fixtures/cli.js'
import { runTroveToExit, startTrove } from '../fixtures/process.js'

t.test('backup, restore, rotate and rekey from the command line', async t => {
  const dir = t.testdir()
  const data = join(dir, 'data')
  const server = await startTrove({ TROVE_DATA_DIR: data, TROVE_BOOTSTRAP_KEY: CLI_KEY, TROVE_RATE_LIMIT: '100000' })
  t.teardown(() => server.stop())
  const env = { TROVE_URL: server.url, TROVE_API_KEY: CLI_KEY }
  const trove = (args: string[]) => runCli(args, { env })
  writeFileSync(join(dir, 'seed.env'), Array.from({ length: 50 }, (_, i) => `s${i}="value ${i}"`).join('\n'))
  t.equal((await trove(['import', join(dir, 'seed.env')])).code, 0)

  let r = await trove(['backup', '--out', join(dir, 'backup.db')])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /^Backup written to .*backup\.db: [\d.]+ MiB, 50 stored values checked, \d+ ms\n$/)
  t.match(r.stderr, /Keep the master key apart/)
  t.equal(statSync(join(dir, 'backup.db')).mode & 0o777, 0o600)
  r = await trove(['backup', '--out', join(dir, 'no-such-folder', 'backup.db')])
  t.equal(r.code, 1)
  t.equal(r.stderr, `trove: cannot write ${join(dir, 'no-such-folder', 'backup.db')}: no such file or directory\n`)

  r = await trove(['rotate'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /^Rotated to key term 2: 50 values re-encrypted; terms in use: 2\n$/)
  t.equal((await trove(['secret', 'get', 's7'])).stdout, 'value 7', 'reads work after the rotation')
  for (let i = 0; i < 2; i++) {
    r = await trove(['rotate', '--status'])
    t.equal(r.code, 0, r.stderr)
    t.equal(r.stdout, 'No rotation running; key term 2 is active; terms in use: 2\n', 'the status starts no rotation')
  }
  t.match(JSON.parse((await trove(['rotate', '--status', '--json'])).stdout), { state: 'idle', active_term: 2, total: 50, rewrapped: 50 })

  const newKey = join(dir, 'new.key')
  writeFileSync(newKey, randomBytes(32).toString('base64'), { mode: 0o600 })
  r = await trove(['rekey', '--new-master-key-file', newKey])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /now wrapped under the new master key/)
  t.equal(await server.stop(), 0)
  t.match((await runTroveToExit({ TROVE_DATA_DIR: data })).stderr, /master key does not match/, 'the old key (data/master.key) stops working')
  const rekeyed = await startTrove({ TROVE_DATA_DIR: data, TROVE_MASTER_KEY_FILE: newKey })
  t.equal((await runCli(['secret', 'get', 's3'], { env: { TROVE_URL: rekeyed.url, TROVE_API_KEY: CLI_KEY } })).stdout, 'value 3')
  await rekeyed.stop()

  // the backup was made under the original key
  const target = join(dir, 'restored')
  r = await runCli(['restore', join(dir, 'backup.db'), '--data-dir', target, '--master-key-file', newKey])
  t.equal(r.code, 1, 'a wrong key is refused')
  t.match(r.stderr, /^trove: the master key does not match/)
  t.notMatch(r.stderr, /unexpected error/, 'an expected failure, not a bug')
  t.notOk(existsSync(target), 'a failed restore leaves no folder behind')
  const notABackup = join(dir, 'not-a-backup.db')
  writeFileSync(notABackup, 'this is text, not SQLite '.repeat(200))
  r = await runCli(['restore', notABackup, '--data-dir', target, '--master-key-file', join(data, 'master.key')])
  t.equal(r.code, 1)
  t.equal(r.stderr, `trove: ${notABackup} is not a SQLite database, so not a Trove backup\n`)
  t.notOk(existsSync(target), 'nothing left behind')
  const cutShort = join(dir, 'cut-short.db')
  writeFileSync(cutShort, readFileSync(join(dir, 'backup.db')).subarray(0, 40_000))
  r = await runCli(['restore', cutShort, '--data-dir', target, '--master-key-file', join(data, 'master.key')])
  t.equal(r.code, 1)
  t.match(r.stderr, /^trove: .*cut-short\.db is damaged \(SQLite: .*\); it cannot be restored\n$/)
  t.notOk(existsSync(target), 'nothing left behind')
  chmodSync(join(dir, 'backup.db'), 0o644)
  r = await runCli(['restore', join(dir, 'backup.db'), '--data-dir', target, '--master-key-file', join(data, 'master.key')])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /^Restored .* 50 stored values checked/)
  t.equal(statSync(join(target, 'trove.db')).mode & 0o777, 0o600, 'readable by its owner only, whatever the backup file\'s mode')
  r = await runCli(['restore', join(dir, 'backup.db'), '--data-dir', target, '--master-key-file', join(data, 'master.key')])
  t.equal(r.code, 1, 'never over an existing database')
  const restored = await startTrove({ TROVE_DATA_DIR: target, TROVE_MASTER_KEY_FILE: join(data, 'master.key') })
  t.equal((await runCli(['secret', 'get', 's42'], { env: { TROVE_URL: restored.url, TROVE_API_KEY: CLI_KEY } })).stdout, 'value 42')
  await restored.stop()

  // a backup whose key row was edited (a later expiry for the admin key) is restored with a warning
  const edited = join(dir, 'edited.db')
  copyFileSync(join(dir, 'backup.db'), edited)
  const db = new Database(edited)
  const adminId = db.prepare('SELECT id FROM api_keys').pluck().get() as string
  db.prepare('UPDATE api_keys SET expires_at = ?').run('2099-01-01T00:00:00.000Z')
  db.close()
  r = await runCli(['restore', edited, '--data-dir', join(dir, 'restored-edited'), '--master-key-file', join(data, 'master.key')])
  t.equal(r.code, 0, 'the values are not lost for a key row')
  t.equal(r.stderr, `warning: API key rows fail their integrity check (changed outside Trove), so Trove will refuse these keys: ${adminId}; revoke them once Trove runs\n`)
  const fromEdited = await startTrove({ TROVE_DATA_DIR: join(dir, 'restored-edited'), TROVE_MASTER_KEY_FILE: join(data, 'master.key') })
  t.equal((await runCli(['secret', 'get', 's42'], { env: { TROVE_URL: fromEdited.url, TROVE_API_KEY: CLI_KEY } })).code, 1, 'and Trove refuses that key')
  await fromEdited.stop()
})
