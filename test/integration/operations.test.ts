import { execFileSync } from 'node:child_process'
import { request } from 'node:https'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { runTroveToExit, startTrove } from '../fixtures/process.js'

const KEY = 'ops-test-key-0123456789'
const auth = { authorization: `Bearer ${KEY}` }

t.test('SIGTERM during a burst of writes: every acknowledged write is there after restart', async t => {
  const dir = t.testdir()
  const env = { TROVE_DATA_DIR: join(dir, 'data'), TROVE_BOOTSTRAP_KEY: KEY, TROVE_RATE_LIMIT: '100000', TROVE_LOG_LEVEL: 'warn' }
  const first = await startTrove({ ...env, TROVE_LOG_LEVEL: 'info' })
  const acked = new Map<string, string>()
  const run = { stopped: false }
  const writer = async (w: number) => {
    for (let i = 0; !run.stopped; i++) {
      const name = `w${w}_${i % 50}`
      const value = `value ${w} ${i}`
      try {
        const res = await fetch(`${first.url}/v1/secrets`, { method: 'POST', headers: auth, body: JSON.stringify({ name, value }) })
        if (res.status === 200) acked.set(name, value)
      } catch {
        return
      }
    }
  }
  const writers = [0, 1, 2, 3].map(writer)
  await new Promise(resolve => setTimeout(resolve, 400))
  const code = await first.stop('SIGTERM')
  run.stopped = true
  await Promise.all(writers)
  t.equal(code, 0, 'exits 0')
  t.ok(acked.size > 0, `${acked.size} secrets acknowledged`)

  const second = await startTrove({ ...env, TROVE_LOG_LEVEL: 'info' })
  t.teardown(() => second.stop('SIGKILL'))
  let lost = 0
  for (const [name, value] of acked) {
    const res = await fetch(`${second.url}/v1/secrets/${name}/value`, { headers: auth })
    // a later write of the same name may have been acknowledged as well; the last one acknowledged wins
    if ((await res.json() as { value: string }).value !== value) lost++
  }
  t.equal(lost, 0, 'no acknowledged write lost')
  const verify = await (await fetch(`${second.url}/v1/audit_logs/verify`, { headers: auth })).json() as { valid: boolean }
  t.equal(verify.valid, true, 'the audit chain verifies after the restart')
  await second.stop()
})

t.test('a second Trove on the same SQLite file stops at start; the first serves on', async t => {
  const dir = t.testdir()
  const env = { TROVE_DATA_DIR: dir, TROVE_BOOTSTRAP_KEY: KEY }
  const first = await startTrove(env)
  t.teardown(() => first.stop())
  await fetch(`${first.url}/v1/secrets`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'held', value: 'v' }) })
  // it waits out the 5 s a closing process may need, then gives up
  const second = await runTroveToExit(env)
  t.equal(second.code, 78, 'exit 78, as every start-up problem')
  t.match(second.stderr, /trove\.db is in use by another process: one Trove runs per SQLite file/)
  t.equal((await fetch(`${first.url}/v1/secrets/held/value`, { headers: auth })).status, 200)
})

t.test('HTTPS with TROVE_TLS_CERT_FILE and TROVE_TLS_KEY_FILE', async t => {
  const dir = t.testdir()
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' })
  const trove = await startTrove({ TROVE_DB: ':memory:', TROVE_BOOTSTRAP_KEY: KEY, TROVE_TLS_CERT_FILE: cert, TROVE_TLS_KEY_FILE: key })
  t.teardown(() => trove.stop())
  t.match(trove.url, /^https:\/\//)
  const body = await new Promise<string>((resolve, reject) => {
    request(`${trove.url}/v1/secrets`, { headers: auth, ca: execFileSync('cat', [cert]) }, res => {
      let text = ''
      res.on('data', chunk => { text += String(chunk) })
      res.on('end', () => resolve(text))
    }).on('error', reject).end()
  })
  t.same(JSON.parse(body), { secrets: [] })
})

t.test('a non-loopback address without TLS starts with a warning', async t => {
  const trove = await startTrove({ TROVE_DB: ':memory:', TROVE_BOOTSTRAP_KEY: KEY, TROVE_HOST: '0.0.0.0' })
  t.teardown(() => trove.stop())
  t.match(trove.stdout(), /listening on a non-loopback address without TLS/)
})

t.test('an address, a port or TLS files that cannot be used stop the start with the setting named (exit 78)', async t => {
  const unresolvable = await runTroveToExit({ TROVE_DB: ':memory:', TROVE_HOST: '999.1.1.1' })
  t.equal(unresolvable.code, 78)
  t.match(unresolvable.stderr, /^trove: TROVE_HOST: 999\.1\.1\.1 does not resolve to an address$/m)

  const first = await startTrove({ TROVE_DB: ':memory:', TROVE_BOOTSTRAP_KEY: KEY })
  t.teardown(() => first.stop())
  const port = new URL(first.url).port
  const busy = await runTroveToExit({ TROVE_DB: ':memory:', TROVE_PORT: port })
  t.equal(busy.code, 78)
  t.match(busy.stderr, new RegExp(`^trove: TROVE_PORT: port ${port} on 127\\.0\\.0\\.1 is in use by another process$`, 'm'))

  const dir = t.testdir({ 'cert.pem': 'not a certificate\n', 'key.pem': 'not a key\n', data: {} })
  const tls = await runTroveToExit({ TROVE_DATA_DIR: join(dir, 'data'), TROVE_TLS_CERT_FILE: join(dir, 'cert.pem'), TROVE_TLS_KEY_FILE: join(dir, 'key.pem') })
  t.equal(tls.code, 78)
  t.match(tls.stderr, /^trove: TROVE_TLS_CERT_FILE, TROVE_TLS_KEY_FILE: not a PEM certificate and its private key \(/)
  t.same(readdirSync(join(dir, 'data')), [], 'checked before the database or a master key is created')
})

t.test('half a TLS setting is refused', async t => {
  const { runTroveToExit } = await import('../fixtures/process.js')
  const result = await runTroveToExit({ TROVE_DB: ':memory:', TROVE_TLS_CERT_FILE: '/nonexistent.pem' })
  t.not(result.code, 0)
  t.match(result.stderr, /TROVE_TLS_CERT_FILE and TROVE_TLS_KEY_FILE must be set together/)
})
