import { existsSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { spawnCli, startCliSession } from '../fixtures/cli.js'

const CONFIG = 'model_name: runner\nsecrets:\n  hf_access_token: null\n  multi_line: null\n'
const MULTI = 'one\ntwo\n'

/** A child that reports what it was given, as JSON on one line. */
const REPORT = `
const fs = require('node:fs')
const dir = process.env.TRUSS_SECRETS_DIR
console.log(JSON.stringify({
  dir,
  env: [process.env.TRUSS_SECRET_hf_access_token, process.env.TRUSS_SECRET_multi_line],
  files: [fs.readFileSync(dir + '/hf_access_token', 'utf8'), fs.readFileSync(dir + '/multi_line', 'utf8')],
  modes: [fs.statSync(dir).mode & 0o777, fs.statSync(dir + '/hf_access_token').mode & 0o777],
  keys: [process.env.TROVE_API_KEY, process.env.BASETEN_API_KEY],
  argv: process.argv.slice(1)
}))
`

async function seeded (t: Test) {
  const session = await startCliSession(t)
  await Promise.all([
    session.trove(['secret', 'set', 'hf_access_token', '--value', 'hf_value']),
    session.trove(['secret', 'set', 'multi_line', '--value', MULTI])
  ])
  const dir = t.testdir({ 'config.yaml': CONFIG })
  return { ...session, config: join(dir, 'config.yaml'), dir }
}

t.test('trove run passes the secrets as variables and files, and returns the child\'s exit code', async t => {
  const { trove, config } = await seeded(t)
  let r = await trove(['run', '--config', config, '--', process.execPath, '-e', `${REPORT}; process.exit(7)`, '--', '--flag', 'arg'])
  t.equal(r.code, 7, 'the child\'s exit code')
  const seen = JSON.parse(r.stdout)
  t.same(seen.env, ['hf_value', MULTI])
  t.same(seen.files, ['hf_value', MULTI], 'files hold the exact bytes')
  t.same(seen.modes, [0o700, 0o400])
  t.same(seen.argv, ['--flag', 'arg'], 'flags after -- belong to the command')
  t.same(seen.keys, [null, null], 'the command does not get the Trove key')
  t.notOk(existsSync(seen.dir), 'the folder is removed')

  r = await trove(['run', '--config', config, '--', 'sh', '-c', 'exit 0'])
  t.equal(r.code, 0)
  r = await trove(['run', '--config', config, '--', 'no-such-command-xyz'])
  t.equal(r.code, 127)
  t.match(r.stderr, /^trove: cannot run no-such-command-xyz: /)
})

t.test('a missing secret: the command does not run', async t => {
  const { trove, dir } = await seeded(t)
  const marker = join(dir, 'ran')
  const config = join(dir, 'missing.yaml')
  await import('node:fs').then(fs => fs.writeFileSync(config, `${CONFIG}  not_stored: null\n`))
  const r = await trove(['run', '--config', config, '--', 'touch', marker])
  t.equal(r.code, 1)
  t.equal(r.stderr, 'Secret \'not_stored\' not found. Please ensure that it is defined in Trove (trove secret set not_stored).\ntrove: 1 declared secret is missing; touch was not run\n')
  t.notOk(existsSync(marker), 'not run')
})

t.test('the folder is removed when the child is killed, and signals to trove reach the child', async t => {
  const { env, config } = await seeded(t)

  // the child kills itself with SIGTERM: trove exits 128 + 15
  const killed = spawnCli(['run', '--config', config, '--', process.execPath, '-e', `${REPORT}; process.kill(process.pid, 'SIGTERM'); setInterval(() => {}, 1000)`], { env })
  const result = await killed.result
  t.equal(result.code, 143, '128 + SIGTERM')
  t.notOk(existsSync(JSON.parse(result.stdout).dir), 'removed after the child died of a signal')

  // trove itself gets SIGTERM: it forwards it, waits for the child, cleans up, exits with the child's code
  const child = `${REPORT}; process.on('SIGTERM', () => { console.log('child got SIGTERM'); process.exit(3) }); setInterval(() => {}, 1000)`
  const running = spawnCli(['run', '--config', config, '--', process.execPath, '-e', child], { env })
  const [line] = await running.waitFor(/^\{.*\}\n/)
  const { dir } = JSON.parse(line)
  t.ok(existsSync(dir), 'the folder exists while the child runs')
  running.child.kill('SIGTERM')
  const ended = await running.result
  t.match(ended.stdout, /child got SIGTERM/)
  t.equal(ended.code, 3)
  t.notOk(existsSync(dir), 'removed after trove was told to stop')

  // SIGINT to trove, with a child that dies of it
  const interrupted = spawnCli(['run', '--config', config, '--', process.execPath, '-e', `${REPORT}; setInterval(() => {}, 1000)`], { env })
  const [first] = await interrupted.waitFor(/^\{.*\}\n/)
  interrupted.child.kill('SIGINT')
  t.equal((await interrupted.result).code, 130, '128 + SIGINT')
  t.notOk(existsSync(JSON.parse(first).dir))
})
