// Rotation, backup and restore times on a store of 10,000 secrets: `npm run bench:ops`.
// In-process (app.inject), on a file database with synchronous=FULL, as the server runs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../dist/app.js'
import { restoreBackup } from '../dist/ops/restore.js'
import { openTrove } from '../dist/trove.js'

const COUNT = Number(process.env.BENCH_SECRETS ?? 10_000)
const KEY = 'bench-key-0123456789abcdef'
const dir = mkdtempSync(join(tmpdir(), 'trove-ops-'))
const trove = await openTrove({ dataDir: dir, dbPath: join(dir, 'trove.db'), bootstrapKey: KEY }, { warn () {} })
const app = await buildApp({ trove, rateLimit: 1e9 })
const headers = { authorization: `Bearer ${KEY}` }
const lines = Array.from({ length: COUNT }, (_, i) => `SECRET_${i}="${'v'.repeat(40)}${i}"`).join('\n')
let t0 = performance.now()
await app.inject({ method: 'POST', url: '/v1/secrets/import?format=dotenv', headers, payload: lines })
const seedMs = performance.now() - t0

t0 = performance.now()
await app.inject({ method: 'POST', url: '/v1/sys/rotate', headers })
let status
do {
  await new Promise(resolve => setImmediate(resolve))
  status = (await app.inject({ method: 'GET', url: '/v1/sys/rotation', headers })).json()
} while (status.state === 'running')
const rotateMs = performance.now() - t0
if (status.rewrapped !== COUNT) throw new Error(`rotation rewrapped ${status.rewrapped} of ${COUNT}`)

t0 = performance.now()
const backup = await app.inject({ method: 'GET', url: '/v1/sys/backup', headers })
const backupMs = performance.now() - t0
const file = join(dir, 'backup.db')
writeFileSync(file, backup.rawPayload)

t0 = performance.now()
const target = join(dir, 'restored')
await restoreBackup({ file, dataDir: target, dbPath: join(target, 'trove.db'), masterKeyFile: join(dir, 'master.key') })
const restoreMs = performance.now() - t0

await app.close()
await trove.close()
rmSync(dir, { recursive: true, force: true })
console.table({
  [`${COUNT} secrets`]: {
    'import (one transaction)': `${Math.round(seedMs)} ms`,
    'rotate and re-encrypt all': `${Math.round(rotateMs)} ms`,
    'online backup + check': `${Math.round(backupMs)} ms`,
    'backup size': `${(backup.rawPayload.length / 1024 / 1024).toFixed(2)} MiB`,
    'restore + check': `${Math.round(restoreMs)} ms`
  }
})
