// What one run measures and for how long: full by default, `--quick` (or BENCH_QUICK=1) for a
// check that finishes in a few minutes with smaller stores and shorter loads; `--no-postgres`
// (or BENCH_POSTGRES=0) leaves out the database comparison.

function number (env, name, fallback) {
  const text = env[name]
  if (text === undefined || text === '') return fallback
  const value = Number(text)
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, not ${JSON.stringify(text)}`)
  return value
}

export function readSettings (argv = process.argv.slice(2), env = process.env) {
  const quick = argv.includes('--quick') || env.BENCH_QUICK === '1'
  return {
    quick,
    postgres: !(argv.includes('--no-postgres') || env.BENCH_POSTGRES === '0'),
    seconds: number(env, 'BENCH_SECONDS', quick ? 3 : 10),
    warmupSeconds: number(env, 'BENCH_WARMUP', quick ? 1 : 2),
    connections: [10, 100],
    small: 1_000,
    // the large store is 1,000,000; quick mode keeps seeding to seconds
    large: number(env, 'BENCH_LARGE', quick ? 10_000 : 1_000_000),
    listSize: 100,
    coldRuns: number(env, 'BENCH_COLD_RUNS', quick ? 5 : 7)
  }
}

/**
 * The Trove processes of a run, each on its own copy of a seeded store, and what each is loaded
 * with (every scenario at every connection count). Reads come before writes on a process, so
 * they see the store as seeded.
 */
export function phasesOf (settings) {
  return [
    { store: settings.small, auditReads: true, kinds: ['read-value', 'read-meta', 'upsert', 'mixed'] },
    { store: settings.small, auditReads: false, kinds: ['read-value'] },
    { store: settings.listSize, auditReads: true, kinds: ['list'] },
    { store: settings.large, auditReads: true, kinds: ['read-value', 'read-meta', 'mixed'] }
  ]
}

/**
 * The database comparison: reads and durable writes on SQLite with one process against
 * PostgreSQL with one and with two processes on one database. Each runs on a fresh copy of the
 * same 1,000-secret store, one after the other, so the three are measured side by side.
 */
export function databasePhasesOf (settings) {
  const kinds = ['read-value', 'upsert']
  return [
    { database: 'sqlite', processes: 1, store: settings.small, auditReads: true, kinds },
    { database: 'postgres', processes: 1, store: settings.small, auditReads: true, kinds },
    { database: 'postgres', processes: 2, store: settings.small, auditReads: true, kinds }
  ]
}

const DATABASE_NAMES = { sqlite: 'SQLite', postgres: 'PostgreSQL' }

/** "PostgreSQL, 2 processes" for a row of the database comparison; undefined for the others. */
export function deploymentLabel (s) {
  if (s.database === undefined) return undefined
  return `${DATABASE_NAMES[s.database]}, ${s.processes} ${s.processes === 1 ? 'process' : 'processes'}`
}

export const KIND_LABELS = {
  bare: 'bare Fastify route',
  'read-value': 'read a value',
  'read-meta': 'read metadata',
  list: 'list (Baseten, all 100)',
  upsert: 'upsert (durable)',
  mixed: 'mixed 90% read / 10% upsert'
}
