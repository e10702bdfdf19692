// Back-to-back comparison of builds, or of settings, on one scenario (npm run bench:compare):
// on a shared machine only alternating runs of the same load tell a change from the machine's
// drift (bench/README.md). Each entry is LABEL=DIR, optionally followed by settings for its
// processes, LABEL=DIR:NAME=VALUE,NAME=VALUE. DIR holds dist/ and migrations/ and must sit inside
// this repository, so that packages resolve from its node_modules; "." is the current build.
//
//   mkdir -p bench/results/before && cp -r dist migrations bench/results/before/   # before a change
//   node bench/compare.mjs --kind read-value --size 1000000 before=bench/results/before after=.
//   node bench/compare.mjs on=. off=.:TROVE_AUDIT_READS=false
//
// Every round starts a fresh process per entry on its own copy of the seeded store (each build
// seeds its own, cached in bench/results/stores/ by schema), in the order of the entries on odd
// rounds and reversed on even ones, and loads it as `npm run bench` does: a warm-up, then the
// measured run. Prints each run, then each entry's mean and median and its mean against the first.
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { measure } from './harness/load.mjs'
import { installCleanUp, removeTempDir } from './harness/processes.mjs'
import { startTrove } from './harness/servers.mjs'
import { mean, median } from './harness/stats.mjs'
import { copyStore, ensureStore } from './harness/stores.mjs'

const KINDS = ['read-value', 'read-meta', 'list', 'upsert', 'mixed']

const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    kind: { type: 'string', default: 'read-value' },
    connections: { type: 'string', default: '10' },
    size: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '6' },
    warmup: { type: 'string', default: '2' }
  }
})

function count (name, min) {
  const value = Number(options[name])
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be a whole number of at least ${min}, not ${options[name]}`)
  return value
}

/** LABEL=DIR[:NAME=VALUE,...] as {label, build, env}. */
function entryOf (text) {
  const match = /^([^=]+)=([^:]+)(?::(.*))?$/.exec(text)
  if (match === null) throw new Error(`expected LABEL=DIR or LABEL=DIR:NAME=VALUE,..., not ${text}`)
  const [, label, dir, settings = ''] = match
  const env = Object.fromEntries(settings.split(',').filter(Boolean).map(pair => {
    const at = pair.indexOf('=')
    if (at < 1) throw new Error(`expected NAME=VALUE in ${text}, not ${pair}`)
    return [pair.slice(0, at), pair.slice(at + 1)]
  }))
  const root = resolve(dir)
  const build = { dir: root, serverEntry: resolve(root, 'dist/server.js'), distDir: resolve(root, 'dist'), migrationsDir: resolve(root, 'migrations') }
  return { label, build, env }
}

if (!KINDS.includes(options.kind)) throw new Error(`--kind must be one of ${KINDS.join(', ')}`)
if (positionals.length === 0) throw new Error('name at least one build: LABEL=DIR (see the top of bench/compare.mjs)')
const entries = positionals.map(entryOf)
const [connections, size, rounds, seconds, warmupSeconds] = [count('connections', 1), count('size', 1), count('rounds', 1), count('seconds', 1), count('warmup', 0)]
const log = line => process.stderr.write(`${line}\n`)

installCleanUp()
for (const entry of entries) entry.store = await ensureStore(entry.build, size, log)
const results = new Map(entries.map(entry => [entry.label, []]))
for (let round = 1; round <= rounds; round++) {
  for (const entry of round % 2 === 1 ? entries : [...entries].reverse()) {
    const dir = copyStore(entry.store)
    const server = await startTrove(entry.build, dir, { env: entry.env })
    try {
      const run = await measure(server, { kind: options.kind, size, connections }, { seconds, warmupSeconds })
      results.get(entry.label).push(run.reqPerSec)
      const failed = run.non2xx + run.errors + run.timeouts
      console.log(`round ${round} ${entry.label}: ${Math.round(run.reqPerSec).toLocaleString('en-US')} req/s, p99 ${run.latencyMs.p99} ms, server CPU ${run.cpu.server.toFixed(2)}${failed > 0 ? `, ${failed} failed` : ''}`)
    } finally {
      await server.stop()
      removeTempDir(dir)
    }
  }
}

const reference = mean(results.get(entries[0].label))
console.log(`\n${options.kind} @${connections}, ${size.toLocaleString('en-US')} secrets, ${rounds} rounds of ${seconds} s:`)
for (const [label, values] of results) {
  const format = v => Math.round(v).toLocaleString('en-US')
  console.log(`${label}: mean ${format(mean(values))} req/s, median ${format(median(values))}, × ${entries[0].label} ${(mean(values) / reference).toFixed(2)} (${values.map(format).join(', ')})`)
}
process.exit(0)
