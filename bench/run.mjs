// npm run bench: issue 9's harness. Starts real Trove processes (node dist/server.js) and a bare
// Fastify route, loads each with autocannon from this process on loopback, and reports every
// throughput as a ratio to the bare route measured in the same run. A last section compares
// SQLite with PostgreSQL (one and two processes). See bench/README.md.
//   npm run bench                  full run (10 s per scenario, 1,000 and 1,000,000 secrets)
//   npm run bench -- --quick       a few minutes (3 s per scenario, 1,000 and 10,000 secrets)
//   npm run bench -- --no-postgres without the PostgreSQL section (or BENCH_POSTGRES=0)
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { snapshotBuild } from './harness/build-snapshot.mjs'
import { renderChart } from './harness/chart.mjs'
import { measureColdStart } from './harness/cold-start.mjs'
import { measure } from './harness/load.mjs'
import { describeCode, describeMachine } from './harness/machine.mjs'
import { installCleanUp, removeTempDir, ROOT, tempDir } from './harness/processes.mjs'
import { updateReadme } from './harness/readme.mjs'
import { adminUrl, benchDatabases, describeUrl, isLocal, probePostgres } from './harness/postgres.mjs'
import { coldStartLine, machineLine, postgresLine, scenarioRows, seedLines, targetRows, textTable } from './harness/report.mjs'
import { startBare, startTrove } from './harness/servers.mjs'
import { databasePhasesOf, deploymentLabel, KIND_LABELS, phasesOf, readSettings } from './harness/settings.mjs'
import { copyStore, ensureStore, seedDatabase } from './harness/stores.mjs'
import { judgeTargets } from './harness/targets.mjs'

const RESULTS = join(ROOT, 'bench', 'results')
const began = performance.now()
const log = line => process.stderr.write(`[bench ${((performance.now() - began) / 1000).toFixed(0).padStart(4)} s] ${line}\n`)

/** Seeds (or finds cached) every store size the phases use. */
async function seedStores (build, settings) {
  const stores = new Map()
  for (const size of new Set(phasesOf(settings).map(p => p.store))) stores.set(size, await ensureStore(build, size, log))
  return stores
}

/** "read a value" or "read a value (PostgreSQL, 2 processes)". */
function kindLabel (kind, phase = {}) {
  const deployment = deploymentLabel(phase)
  return deployment === undefined ? KIND_LABELS[kind] : `${KIND_LABELS[kind]} (${deployment})`
}

function describeLoad (label, connections, r) {
  const issues = r.non2xx + r.errors + r.timeouts > 0 ? ` — ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts` : ''
  return `${label} @${connections}: ${Math.round(r.reqPerSec)} req/s, p99 ${r.latencyMs.p99} ms${issues}`
}

/** What a server printed or how it ended, when that was not a quiet clean exit. */
function serverProblems (name, exit, output) {
  const problems = []
  if (exit.code !== 0) problems.push(`${name} ended with ${exit.code ?? exit.signal} instead of exiting 0 on SIGTERM`)
  // without the pid, the same warning from several processes is reported once
  const printed = output.replace(/\(node:\d+\)/g, '(node)').replace(/\s*\n\s*/g, ' ').trim()
  if (printed !== '') problems.push(`${name.replace(/ \(.*/, '')} printed: ${printed.slice(0, 600)}`)
  return problems
}

async function measureBare (settings, problems) {
  const bare = await startBare()
  const runs = []
  try {
    for (const connections of settings.connections) {
      const r = await measure(bare, { kind: 'bare', size: settings.small, connections }, settings)
      log(describeLoad(kindLabel('bare'), connections, r))
      runs.push({ kind: 'bare', connections, ...r })
    }
  } finally {
    problems.push(...serverProblems('bare route', await bare.stop(), bare.output()))
  }
  return runs
}

/**
 * One Trove deployment loaded with every scenario of its phase: one process on its own copy of
 * the store, or with `databaseUrl` as many processes as the phase says on that one database.
 * Rows go to `rows` as they are measured, so a failure later keeps them.
 */
async function runPhase (build, phase, store, settings, problems, { databaseUrl, rows = [] } = {}) {
  const dir = copyStore(store)
  const deployment = deploymentLabel(phase)
  const name = `Trove (${phase.store.toLocaleString('en-US')} secrets, read audit ${phase.auditReads ? 'on' : 'off'}${deployment === undefined ? '' : `, ${deployment}`})`
  log(`starting ${name}`)
  const servers = []
  try {
    // processes of one database share the folder, and so its master key
    for (let i = 0; i < (phase.processes ?? 1); i++) servers.push(await startTrove(build, dir, { auditReads: phase.auditReads, databaseUrl }))
    const deployed = phase.database === undefined ? {} : { database: phase.database, processes: phase.processes }
    for (const kind of phase.kinds) {
      for (const connections of settings.connections) {
        const r = await measure(servers, { kind, size: phase.store, connections, database: databaseUrl !== undefined && isLocal(databaseUrl) }, settings)
        log(describeLoad(kindLabel(kind, phase), connections, r))
        rows.push({ kind, store: phase.store, auditReads: phase.auditReads, ...deployed, connections, ...r })
      }
    }
  } finally {
    for (const [i, server] of servers.entries()) {
      problems.push(...serverProblems(servers.length === 1 ? name : `${name}, process ${i + 1}`, await server.stop(), server.output()))
    }
    removeTempDir(dir)
  }
  return rows
}

/**
 * The database comparison: SQLite with one process, then PostgreSQL with one and with two, each
 * on a fresh database copied from one seeded this run. Skipped, with a note, when turned off or
 * when PostgreSQL does not answer; a deployment that fails is reported and the next one runs.
 */
async function measureDatabases (build, stores, settings, problems) {
  if (!settings.postgres) {
    log('PostgreSQL section skipped (--no-postgres or BENCH_POSTGRES=0)')
    return { rows: [], postgres: { skipped: 'turned off (--no-postgres or BENCH_POSTGRES=0)' } }
  }
  const url = adminUrl()
  const server = describeUrl(url)
  const probe = await probePostgres(url)
  if (probe.error !== undefined) {
    const skipped = `PostgreSQL at ${server} did not answer (${probe.error}); set BENCH_POSTGRES_URL, or BENCH_POSTGRES=0 to leave it out`
    log(`PostgreSQL section skipped: ${skipped}`)
    problems.push(`the PostgreSQL section was skipped: ${skipped}`)
    return { rows: [], postgres: { skipped } }
  }
  const databases = benchDatabases(url)
  const rows = []
  const postgres = { server, version: probe.version }
  const failed = (what, err) => {
    log(`${what} failed: ${err.message}`)
    problems.push(`${what} failed (the rows it did not reach are missing): ${err.message.slice(0, 600)}`)
  }
  let template, seeded
  try {
    template = await databases.create('seed')
    seeded = await seedDatabase(build, template.url, settings.small, log)
    postgres.seed = { size: seeded.size, seconds: seeded.seconds, bytes: await databases.sizeBytes(template.name) }
  } catch (err) {
    failed('seeding PostgreSQL', err)
    await databases.close()
    return { rows, postgres }
  }
  try {
    for (const phase of databasePhasesOf(settings)) {
      if (phase.database === 'sqlite') {
        await runPhase(build, phase, stores.get(phase.store), settings, problems, { rows })
        continue
      }
      const copy = await databases.create(`${phase.processes}p`, template.name)
      try {
        await runPhase(build, phase, seeded, settings, problems, { databaseUrl: copy.url, rows })
      } catch (err) {
        // a PostgreSQL problem must not cost the run the figures measured before it
        failed(deploymentLabel(phase), err)
      }
      await databases.drop(copy.name)
    }
  } finally {
    removeTempDir(seeded.dir)
    await databases.close()
  }
  return { rows, postgres }
}

/** The reference per connection count: the mean of the bare runs before and after Trove's. */
function combineBare (before, after) {
  return before.map((first, i) => {
    const runs = [first, after[i]]
    const sum = pick => runs.reduce((total, r) => total + pick(r), 0)
    const mean = pick => sum(pick) / runs.length
    return {
      connections: first.connections,
      reqPerSec: mean(r => r.reqPerSec),
      latencyMs: { p50: mean(r => r.latencyMs.p50), p99: mean(r => r.latencyMs.p99) },
      rssPeakMiB: Math.max(...runs.map(r => r.rssPeakMiB)),
      cpu: runs.every(r => r.cpu) ? { server: mean(r => r.cpu.server), harness: mean(r => r.cpu.harness), others: mean(r => r.cpu.others) } : undefined,
      non2xx: sum(r => r.non2xx),
      errors: sum(r => r.errors),
      timeouts: sum(r => r.timeouts),
      statusCodes: first.statusCodes,
      runs
    }
  })
}

/**
 * The ratio to the bare route, and the same per CPU-second of the server: how much work a
 * request costs, which holds up better than throughput when other processes take CPU time.
 */
function addRatios (s, bare) {
  s.ratio = s.reqPerSec / bare.reqPerSec
  if (s.cpu?.server > 0 && bare.cpu?.server > 0) s.ratioPerCpu = (s.reqPerSec / s.cpu.server) / (bare.reqPerSec / bare.cpu.server)
}

/** A shared machine makes every figure noisy; say so rather than let it pass unnoticed. */
function noiseProblems (rows) {
  const others = rows.map(r => r.cpu?.others).filter(x => x !== undefined)
  const mean = others.reduce((a, b) => a + b, 0) / others.length
  if (!(mean > 0.2)) return []
  return [`other processes used ${mean.toFixed(2)} CPUs on average (up to ${Math.max(...others).toFixed(2)}) during the measured runs: the figures are noisy, compare them with a run on a quiet machine`]
}

function loadProblems (rows) {
  return rows.filter(r => r.non2xx + r.errors + r.timeouts > 0)
    .map(r => `${kindLabel(r.kind, r)} at ${r.store ?? '–'} secrets, ${r.connections} connections: ${r.non2xx} non-2xx ${JSON.stringify(r.statusCodes)}, ${r.errors} errors, ${r.timeouts} timeouts`)
}

function writeResults (results) {
  mkdirSync(RESULTS, { recursive: true })
  const stamp = results.startedAt.replaceAll(':', '-').replace(/\.\d+Z$/, 'Z')
  const json = JSON.stringify(results, null, 2) + '\n'
  const svg = renderChart(results)
  const files = [`results-${stamp}.json`, 'results-latest.json', `chart-${stamp}.svg`, 'chart-latest.svg'].map(f => join(RESULTS, f))
  writeFileSync(files[0], json)
  writeFileSync(files[1], json)
  writeFileSync(files[2], svg)
  writeFileSync(files[3], svg)
  return files
}

function printReport (results, files) {
  const out = [
    '',
    `Trove benchmark, ${results.mode} run of ${results.startedAt} (${results.settings.seconds} s per scenario, ${results.totalSeconds.toFixed(0)} s in all)`,
    `Machine: ${machineLine(results.machine)}`,
    '',
    textTable(scenarioRows(results)),
    '',
    textTable(targetRows(results)),
    '',
    coldStartLine(results.coldStart),
    postgresLine(results.postgres),
    ...seedLines(results).map(line => `seed ${line}`),
    ...(results.problems.length === 0 ? [] : ['', 'Problems:', ...results.problems.map(p => `- ${p}`)]),
    '',
    ...files.map(f => `wrote ${f}`)
  ]
  process.stdout.write(out.join('\n') + '\n')
}

async function coldStartOf (build, settings) {
  log('cold start …')
  const dir = tempDir('trove-bench-cold-')
  const coldStart = await measureColdStart(build, settings.coldRuns, dir)
  removeTempDir(dir)
  log(coldStartLine(coldStart))
  return coldStart
}

/** Everything measured, in an order that keeps the bare route's runs around Trove's. */
async function measureAll (settings) {
  const problems = []
  const build = snapshotBuild()
  const stores = await seedStores(build, settings)
  const coldStart = await coldStartOf(build, settings)
  const bareBefore = await measureBare(settings, problems)
  const scenarios = []
  for (const phase of phasesOf(settings)) scenarios.push(...await runPhase(build, phase, stores.get(phase.store), settings, problems))
  // inside the bare route's bracket, so its rows have the same reference as all others
  const { rows, postgres } = await measureDatabases(build, stores, settings, problems)
  scenarios.push(...rows)
  const bare = combineBare(bareBefore, await measureBare(settings, problems))
  for (const s of scenarios) addRatios(s, bare.find(b => b.connections === s.connections))
  problems.unshift(...loadProblems([...bare.flatMap(b => b.runs), ...scenarios]), ...noiseProblems([...bare, ...scenarios]))
  return { seeds: [...stores.values()].map(({ dir, ...s }) => s), coldStart, bare, scenarios, postgres, problems: [...new Set(problems)] }
}

async function main () {
  const cleanUp = installCleanUp()
  const settings = readSettings()
  const startedAt = new Date().toISOString()
  const machine = describeMachine()
  try {
    log(`${settings.quick ? 'quick' : 'full'} run: ${settings.seconds} s per scenario, stores of ${settings.small}, ${settings.listSize} and ${settings.large} secrets`)
    const measured = await measureAll(settings)
    const results = {
      mode: settings.quick ? 'quick' : 'full',
      startedAt,
      totalSeconds: (performance.now() - began) / 1000,
      settings,
      machine: { ...machine, loadAverageAtEnd: describeMachine().loadAverage },
      code: describeCode(),
      ...measured,
      targets: judgeTargets({ scenarios: measured.scenarios, coldStart: measured.coldStart, settings })
    }
    const files = writeResults(results)
    if (!settings.quick) files.push(updateReadme(results))
    printReport(results, files)
  } finally {
    await cleanUp()
  }
}

await main()
