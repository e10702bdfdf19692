// Seeded stores, cached under bench/results/stores/ so a second run does not reseed 1,000,000.
// The cache key holds the schema (migrations) so a schema change reseeds instead of failing.
import { createHash } from 'node:crypto'
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ROOT, spawnNode, tempDir } from './processes.mjs'

const STORES = join(ROOT, 'bench', 'results', 'stores')
const SEED_SCRIPT = fileURLToPath(new URL('./seed.mjs', import.meta.url))
// bump when seed.mjs changes what it writes
const SEED_FORMAT = 1

function schemaHash (build) {
  const dir = join(build.migrationsDir, 'sqlite')
  const hash = createHash('sha256').update(`seed-format-${SEED_FORMAT}`)
  for (const file of readdirSync(dir).sort()) hash.update(file).update(readFileSync(join(dir, file)))
  return hash.digest('hex').slice(0, 10)
}

/** Removes cached stores of this size made for another schema, and half-seeded ones. */
function pruneStale (size, current) {
  if (!existsSync(STORES)) return
  for (const entry of readdirSync(STORES)) {
    if (entry.startsWith(`${size}-`) && entry !== current) rmSync(join(STORES, entry), { recursive: true, force: true })
  }
}

async function runSeed (build, dir, size, databaseUrl) {
  const handle = spawnNode([SEED_SCRIPT, dir, String(size)], { BENCH_DIST: build.distDir, ...(databaseUrl === undefined ? {} : { BENCH_DATABASE_URL: databaseUrl }) })
  const { code, signal } = await handle.exited
  if (code !== 0) throw new Error(`seeding ${size} secrets failed (${code ?? signal}):\n${handle.output()}`)
  return JSON.parse(handle.output().trim().split('\n').at(-1))
}

function folderBytes (dir) {
  return readdirSync(dir).reduce((sum, file) => sum + statSync(join(dir, file)).size, 0)
}

/** The cached store of `size` secrets, seeding it first if needed: {dir, seconds, cached, bytes}. */
export async function ensureStore (build, size, log) {
  const name = `${size}-${schemaHash(build)}`
  const dir = join(STORES, name)
  const marker = join(dir, 'seeded.json')
  if (existsSync(marker)) return { ...JSON.parse(readFileSync(marker, 'utf8')), dir, cached: true }
  pruneStale(size, name)
  mkdirSync(STORES, { recursive: true })
  // seed into a side folder and rename at the end, so an interrupted seed is never taken as done
  const partial = `${dir}.partial`
  rmSync(partial, { recursive: true, force: true })
  mkdirSync(partial, { mode: 0o700 })
  log(`seeding ${size.toLocaleString('en-US')} secrets …`)
  const started = performance.now()
  const reported = await runSeed(build, partial, size)
  const info = { size, seconds: (performance.now() - started) / 1000, writeSeconds: reported.seconds, bytes: folderBytes(partial), seededAt: new Date().toISOString() }
  writeFileSync(join(partial, 'seeded.json'), JSON.stringify(info, null, 2))
  renameSync(partial, dir)
  log(`seeded ${size.toLocaleString('en-US')} secrets in ${info.seconds.toFixed(1)} s`)
  return { ...info, dir, cached: false }
}

/**
 * Seeds `size` secrets into an empty PostgreSQL database, every run (a database is not cached):
 * {dir, size, seconds}. `dir` holds only the master key the seed generated; a Trove process on
 * that database needs it.
 */
export async function seedDatabase (build, databaseUrl, size, log) {
  const dir = tempDir(`trove-bench-pg-${size}-`)
  log(`seeding ${size.toLocaleString('en-US')} secrets into PostgreSQL …`)
  const started = performance.now()
  const reported = await runSeed(build, dir, size, databaseUrl)
  const seconds = (performance.now() - started) / 1000
  log(`seeded ${size.toLocaleString('en-US')} secrets into PostgreSQL in ${seconds.toFixed(1)} s`)
  return { dir, size, seconds, writeSeconds: reported.seconds }
}

/** A throw-away copy of a cached store: the benchmark writes to it (upserts, audit rows). */
export function copyStore (store) {
  const dir = tempDir(`trove-bench-${store.size}-`)
  for (const file of readdirSync(store.dir)) {
    if (file === 'seeded.json') continue
    copyFileSync(join(store.dir, file), join(dir, file))
  }
  // Trove refuses a key file others can read
  if (existsSync(join(dir, 'master.key'))) chmodSync(join(dir, 'master.key'), 0o600)
  return dir
}
