import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { CLI_ENTRY, CLI_KEY, runCli } from '../fixtures/cli.js'

/** Starts `trove serve …` and resolves with its URL once it logs that it listens. */
async function serve (args: string[], env: Record<string, string>, cwd: string) {
  const child = spawn(process.execPath, [CLI_ENTRY, 'serve', ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', chunk => { out += String(chunk) })
  child.stderr.on('data', chunk => { err += String(chunk) })
  const exited = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`trove serve did not start:\n${out}\n${err}`)), 15_000)
    child.stdout.on('data', () => {
      const match = /"url":"(http:\/\/[^"]+)"/.exec(out)
      if (match?.[1] !== undefined) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    exited.then(code => {
      clearTimeout(timer)
      reject(new Error(`trove serve exited with ${code}:\n${out}\n${err}`))
    }, reject)
  })
  return { url, exited, stop: () => { child.kill('SIGTERM'); return exited } }
}

t.test('trove serve --port 0 --db :memory: starts, answers /healthz, and the CLI can use it', async t => {
  const dir = t.testdir()
  // the flags win over the variables: these would not start
  const server = await serve(['--port', '0', '--db', ':memory:', '--host', '127.0.0.1'], {
    TROVE_PORT: 'not-a-port',
    TROVE_DB: join(dir, 'never', 'trove.db'),
    TROVE_BOOTSTRAP_KEY: CLI_KEY
  }, dir)
  t.teardown(() => server.stop())
  const health = await fetch(`${server.url}/healthz`)
  t.equal(health.status, 200)
  const r = await runCli(['secret', 'set', 'served', '--value', 'ok'], { env: { TROVE_URL: server.url, TROVE_API_KEY: CLI_KEY } })
  t.equal(r.stdout, 'Set secret served\n')
  t.notOk(existsSync(join(dir, 'never')), 'TROVE_DB was overridden by --db')
  t.notOk(existsSync(join(dir, 'data')), 'nothing written to disk in memory mode')
  t.equal(await server.stop(), 0, 'SIGTERM stops it cleanly')
})

t.test('trove serve with a bad setting stops with one line', async t => {
  const dir = t.testdir()
  const r = await runCli(['serve', '--db', ':memory:', '--port', '0', '--log-level', 'loud'], { cwd: dir })
  t.not(r.code, 0)
  t.match(r.stderr, /TROVE_LOG_LEVEL/)
  t.notMatch(r.stderr, /^\s*at /m, 'no stack trace')
})
