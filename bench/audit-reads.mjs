// Read throughput with read auditing on and off, in one run: `npm run bench:audit`.
// Starts two real Trove processes on file databases (synchronous=FULL), loads each with
// autocannon from this process on loopback, alternating twice, and prints the ratio.
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'

const KEY = 'bench-key-0123456789abcdef'
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)

/** A port nothing listens on now; logs are off during the load, so the URL is not read from them. */
function freePort () {
  return new Promise(resolve => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}

async function start (auditReads) {
  const dir = mkdtempSync(join(tmpdir(), 'trove-bench-'))
  const port = await freePort()
  const child = spawn(process.execPath, ['dist/server.js'], {
    env: { PATH: process.env.PATH, TROVE_DATA_DIR: dir, TROVE_PORT: String(port), TROVE_BOOTSTRAP_KEY: KEY, TROVE_LOG_LEVEL: 'warn', TROVE_RATE_LIMIT: '1000000', TROVE_AUDIT_READS: String(auditReads) },
    stdio: ['ignore', 'ignore', 'inherit']
  })
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`Trove exited with ${child.exitCode}`)
    try {
      if ((await fetch(`${url}/healthz`)).ok) break
    } catch {
      if (i > 200) throw new Error('Trove did not start')
      await new Promise(resolve => setTimeout(resolve, 25))
    }
  }
  await fetch(`${url}/v1/secrets`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: JSON.stringify({ name: 'bench', value: 'x'.repeat(64) }) })
  return { url, stop: () => { child.kill('SIGTERM'); rmSync(dir, { recursive: true, force: true }) } }
}

function load (url) {
  return new Promise((resolve, reject) => autocannon({
    url: `${url}/v1/secrets/bench/value`, connections: 10, duration: SECONDS, headers: { authorization: `Bearer ${KEY}` }
  }, (err, result) => err ? reject(err) : resolve(result)))
}

const on = await start(true)
const off = await start(false)
const results = { on: [], off: [] }
for (let round = 0; round < 2; round++) {
  for (const [name, server] of [['on', on], ['off', off]]) {
    const r = await load(server.url)
    if (r.non2xx > 0 || r.errors > 0) throw new Error(`${name}: ${r.non2xx} non-2xx, ${r.errors} errors`)
    results[name].push(r.requests.average)
  }
}
on.stop()
off.stop()
const mean = list => list.reduce((a, b) => a + b, 0) / list.length
console.table({
  'read auditing on': { 'req/s': Math.round(mean(results.on)), rounds: results.on.map(Math.round).join(', ') },
  'read auditing off': { 'req/s': Math.round(mean(results.off)), rounds: results.off.map(Math.round).join(', ') }
})
console.log(`ratio on/off: ${(mean(results.on) / mean(results.off)).toFixed(2)}`)
