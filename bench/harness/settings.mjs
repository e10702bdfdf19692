// What one run measures and for how long: full by default, `--quick` (or BENCH_QUICK=1) for a
// check that finishes in about three minutes with smaller stores and shorter loads.

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

export const KIND_LABELS = {
  bare: 'bare Fastify route',
  'read-value': 'read a value',
  'read-meta': 'read metadata',
  list: 'list (Baseten, all 100)',
  upsert: 'upsert (durable)',
  mixed: 'mixed 90% read / 10% upsert'
}
