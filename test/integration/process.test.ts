import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { runTroveToExit, startTrove } from '../fixtures/process.js'

const run = promisify(execFile)
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')

async function get (url: string, key: string) {
  const res = await fetch(url, { headers: { authorization: `Bearer ${key}` } })
  return { status: res.status, body: await res.json() as Record<string, unknown> }
}

t.test('first start, the documented curl command, restart, and a wrong master key', async t => {
  const dir = t.testdir()
  const trove = await startTrove({}, { cwd: dir })
  t.teardown(() => trove.stop('SIGKILL'))

  const keyFile = join(dir, 'data', 'master.key')
  t.equal(statSync(keyFile).mode & 0o777, 0o600, 'a generated master key is 0600')
  t.match(trove.stdout(), /generated a new master key; production should supply its own/)
  const adminKey = /(trove_[0-9A-Za-z_]+)/.exec(trove.stderr())?.[1]
  t.ok(adminKey, 'an admin key is printed once')
  t.notOk(trove.stdout().includes(adminKey!), 'the admin key is not in the log stream')

  // Baseten's documented example, verbatim but for the host
  const curl = `curl --silent --request POST \\
  --url ${trove.url}/v1/secrets \\
  --header "Authorization: Api-Key $BASETEN_API_KEY" \\
  --data '{"name": "my_secret", "value": "my_secret_value"}'`
  const { stdout } = await run('sh', ['-c', curl], { env: { PATH: process.env.PATH, BASETEN_API_KEY: adminKey } })
  t.match(JSON.parse(stdout), { id: String, created_at: String, name: 'my_secret', team_name: 'default' })
  t.same((await get(`${trove.url}/v1/secrets/my_secret/value`, adminKey!)).body, { name: 'my_secret', value: 'my_secret_value', version: 1 })

  t.equal(await trove.stop('SIGTERM'), 0, 'SIGTERM exits 0')

  const again = await startTrove({}, { cwd: dir })
  t.notOk(/trove_/.test(again.stderr()), 'no new admin key on a later start')
  t.same((await get(`${again.url}/v1/secrets/my_secret/value`, adminKey!)).body.value, 'my_secret_value', 'data survives a restart')
  t.equal(await again.stop(), 0)

  const dbHash = sha256(join(dir, 'data', 'trove.db'))
  const original = readFileSync(keyFile)
  writeFileSync(keyFile, randomBytes(32).toString('base64'))
  const wrong = await runTroveToExit({}, dir)
  t.not(wrong.code, 0, 'a wrong master key refuses to start')
  t.match(wrong.stderr, /^trove: the master key does not match this database: supply the key it was created with/)
  t.equal(wrong.stderr.trim().split('\n').length, 1, 'the error is one line')
  t.equal(sha256(join(dir, 'data', 'trove.db')), dbHash, 'the database is unchanged')
  t.equal(readFileSync(keyFile, 'utf8').trim().length, 44, 'the key file was not regenerated')

  rmSync(keyFile)
  const missing = await runTroveToExit({}, dir)
  t.not(missing.code, 0, 'a missing master key refuses to start')
  t.match(missing.stderr, /the master key is missing: .*master\.key does not exist but the database/)
  t.throws(() => statSync(keyFile), 'no key was generated over the existing database')

  writeFileSync(keyFile, original, { mode: 0o600 })
  const restored = await startTrove({}, { cwd: dir })
  t.equal((await get(`${restored.url}/v1/secrets/my_secret/value`, adminKey!)).body.value, 'my_secret_value', 'the right key opens it again')
  await restored.stop()
})

t.test('a key given in settings beats the generated file; the file variable beats the plain one', async t => {
  const dir = t.testdir()
  const fileKey = randomBytes(32).toString('base64')
  const envKey = randomBytes(32).toString('base64')
  writeFileSync(join(dir, 'given.key'), fileKey, { mode: 0o600 })
  const env = { TROVE_DATA_DIR: join(dir, 'data'), TROVE_BOOTSTRAP_KEY: 'bootstrap-key-for-tests-0001' }

  const first = await startTrove({ ...env, TROVE_MASTER_KEY_FILE: join(dir, 'given.key'), TROVE_MASTER_KEY: envKey })
  await first.stop()
  t.throws(() => statSync(join(dir, 'data', 'master.key')), 'no key file is generated when one is given')

  const withEnvOnly = await runTroveToExit({ ...env, TROVE_MASTER_KEY: envKey })
  t.match(withEnvOnly.stderr, /master key does not match/, 'the file key was the one used')
  const withFile = await startTrove({ ...env, TROVE_MASTER_KEY_FILE: join(dir, 'given.key') })
  t.equal((await fetch(`${withFile.url}/v1/secrets`, { headers: { authorization: 'Bearer bootstrap-key-for-tests-0001' } })).status, 200)
  await withFile.stop()
})

t.test('bad settings exit non-zero naming the variable', async t => {
  const bad: [string, string][] = [['TROVE_PORT', 'eighty'], ['TROVE_LOG_LEVEL', 'chatty'], ['TROVE_BOOTSTRAP_KEY', 'short'], ['TROVE_MASTER_KEY', 'not-a-key']]
  for (const [name, value] of bad) {
    const result = await runTroveToExit({ TROVE_DB: ':memory:', [name]: value })
    t.not(result.code, 0, name)
    t.match(result.stderr, new RegExp(`^trove: .*${name}`), name)
  }
  const dir = t.testdir()
  writeFileSync(join(dir, 'loose.key'), randomBytes(32).toString('base64'), { mode: 0o644 })
  const loose = await runTroveToExit({ TROVE_DB: ':memory:', TROVE_MASTER_KEY_FILE: join(dir, 'loose.key') })
  t.not(loose.code, 0)
  t.match(loose.stderr, /chmod 600/)
})

t.test('in-memory mode with a fixed test key', async t => {
  const started = performance.now()
  const trove = await startTrove({ TROVE_DB: ':memory:', TROVE_BOOTSTRAP_KEY: 'fixed-test-key-0123456789' })
  const res = await fetch(`${trove.url}/v1/secrets`, { headers: { authorization: 'Api-Key fixed-test-key-0123456789' } })
  t.comment(`spawn to first answer: ${Math.round(performance.now() - started)} ms`)
  t.equal(res.status, 200)
  t.same(await res.json(), { secrets: [] })
  t.notOk(/trove_/.test(trove.stderr()), 'no key is generated when one is given')
  t.equal(await trove.stop('SIGINT'), 0, 'SIGINT exits 0')
})
