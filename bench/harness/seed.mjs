// Seeds a Trove data folder with N secrets directly through the store, with the project's own
// code from dist/ (HTTP would take hours for 1,000,000): `node bench/harness/seed.mjs DIR N`.
// With BENCH_DATABASE_URL=postgres://… the secrets go to that PostgreSQL database instead of
// DIR/trove.db (an environment variable, so a password in it does not show in `ps`).
// Prints one JSON line: {"count","seconds"}. The master key is generated into DIR/master.key
// on this first open, so a server started later on the same TROVE_DATA_DIR finds it.
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { BENCH_KEY, secretName, seedValue } from './names.mjs'

// the harness passes its snapshot of dist/; run by hand, the repository's own
const dist = process.env.BENCH_DIST ?? new URL('../../dist', import.meta.url).pathname
const load = file => import(pathToFileURL(join(dist, file)).href)
const { openTrove } = await load('trove.js')
const { createAuditLog } = await load('audit/audit-log.js')
const { createSecretsService } = await load('services/secrets-service.js')

const BATCH = 5_000
const principal = { keyId: 'bench-seed', scopes: ['admin'], teams: null }

async function seed (dir, count, databaseUrl) {
  // the server creates its files owner-only; so does the seed, and the key file must be 0600
  process.umask(0o077)
  const trove = await openTrove({ dataDir: dir, dbPath: join(dir, 'trove.db'), databaseUrl, bootstrapKey: BENCH_KEY }, { warn () {} })
  const audit = createAuditLog({ store: trove.store, auditKey: trove.keyring.auditKey })
  const secrets = createSecretsService({ ...trove, audit })
  const team = await secrets.resolveTeam(principal, undefined)
  for (let start = 0; start < count; start += BATCH) {
    const batch = []
    for (let i = start; i < Math.min(count, start + BATCH); i++) {
      const input = secrets.prepareUpsert(principal, team, secretName(i), seedValue(i))
      // a seed needs no audit row per secret; changes made during the benchmark are audited
      delete input.audit
      batch.push(input)
    }
    await secrets.write(batch)
  }
  await audit.close()
  await trove.close()
}

const [dir, countText] = process.argv.slice(2)
const count = Number(countText)
if (dir === undefined || !Number.isInteger(count) || count < 1) {
  process.stderr.write('usage: node bench/harness/seed.mjs DIR COUNT\n')
  process.exit(2)
}
const started = performance.now()
await seed(dir, count, process.env.BENCH_DATABASE_URL || undefined)
process.stdout.write(JSON.stringify({ count, seconds: (performance.now() - started) / 1000 }) + '\n')
