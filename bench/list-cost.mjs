// What the list, page and resolve routes cost as the store grows: `node bench/list-cost.mjs`
// (after `npm run build`). Seeds in-memory stores of 1,000 and 100,000 secrets directly through
// the store, then times each route with app.inject (no network), median of repeated calls.
import { buildApp } from '../dist/app.js'
import { openTrove } from '../dist/trove.js'
import { createAuditLog } from '../dist/audit/audit-log.js'
import { createSecretsService } from '../dist/services/secrets-service.js'

const KEY = 'bench-key-0123456789abcdef'
const principal = { keyId: 'bench', scopes: ['admin'], teams: null }

async function medianMs (fn, runs) {
  const times = []
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint()
    await fn()
    times.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]
}

const rows = []
for (const size of [1_000, 100_000]) {
  const trove = await openTrove({ dataDir: '.', dbPath: ':memory:', bootstrapKey: KEY }, { warn () {} })
  const audit = createAuditLog({ store: trove.store, auditKey: trove.keyring.auditKey })
  const secrets = createSecretsService({ ...trove, audit })
  const team = await secrets.resolveTeam(principal, undefined)
  for (let i = 0; i < size; i += 1000) {
    const batch = []
    for (let j = i; j < Math.min(size, i + 1000); j++) batch.push(secrets.prepareUpsert(principal, team, `secret_${String(j).padStart(7, '0')}`, `value-${j}`))
    await secrets.write(batch)
  }
  await audit.close()
  const app = await buildApp({ trove, rateLimit: 1_000_000 })
  const headers = { authorization: `Bearer ${KEY}` }
  const get = url => app.inject({ method: 'GET', url, headers })
  const middle = `secret_${String(Math.floor(size / 2)).padStart(7, '0')}`
  const cursor = Buffer.from(JSON.stringify(['default', middle])).toString('base64url')
  const names = Array.from({ length: 10 }, (_, i) => `secret_${String(Math.floor(size * i / 10)).padStart(7, '0')}`)
  rows.push({
    secrets: size,
    'full list (Baseten shape)': await medianMs(() => get('/v1/secrets'), size > 10_000 ? 3 : 20),
    'page of 100, first': await medianMs(() => get('/v1/secrets?limit=100'), 50),
    'page of 100, from the middle': await medianMs(() => get(`/v1/secrets?limit=100&cursor=${cursor}`), 50),
    'prefix page': await medianMs(() => get('/v1/secrets?prefix=secret_00005&limit=100'), 50),
    'resolve 10 names': await medianMs(() => app.inject({ method: 'POST', url: '/v1/secrets/resolve', headers, payload: { names } }), 50)
  })
  await app.close()
  await trove.close()
}
console.table(rows.map(r => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' && k !== 'secrets' ? `${v.toFixed(2)} ms` : v]))))
