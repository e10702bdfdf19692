import { execFileSync, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { closedPort } from '../fixtures/cli.js'
import { startTrove } from '../fixtures/process.js'

const HEALTHCHECK = fileURLToPath(new URL('../../dist/healthcheck.js', import.meta.url))
const KEY = 'healthcheck-key-0123456789abcdef'

/** The container's HEALTHCHECK command with the container's settings: its exit code. */
function healthcheck (env: Record<string, string>): number | null {
  return spawnSync(process.execPath, [HEALTHCHECK], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 10_000 }).status
}

t.test('the health check asks the port Trove listens on, over HTTP or HTTPS as Trove serves', async t => {
  const plain = await startTrove({ TROVE_DB: ':memory:', TROVE_BOOTSTRAP_KEY: KEY })
  t.teardown(() => plain.stop())
  t.equal(healthcheck({ TROVE_PORT: new URL(plain.url).port }), 0, 'HTTP on TROVE_PORT')
  t.equal(healthcheck({ TROVE_PORT: String(await closedPort()) }), 1, 'nothing listening')

  const dir = t.testdir()
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  // a certificate for a public name, as behind a real domain: the probe on 127.0.0.1 still passes
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=trove.example.com'], { stdio: 'ignore' })
  const tls = await startTrove({ TROVE_DB: ':memory:', TROVE_BOOTSTRAP_KEY: KEY, TROVE_TLS_CERT_FILE: cert, TROVE_TLS_KEY_FILE: key })
  t.teardown(() => tls.stop())
  const port = new URL(tls.url).port
  t.equal(healthcheck({ TROVE_PORT: port, TROVE_TLS_CERT_FILE: cert, TROVE_TLS_KEY_FILE: key }), 0, 'HTTPS when Trove serves TLS')
  t.equal(healthcheck({ TROVE_PORT: port }), 1, 'plain HTTP to a TLS port fails')
})
