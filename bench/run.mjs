// npm run bench: issue 9's harness. Starts real Trove processes (node dist/server.js) and a bare
// Fastify route, loads each with autocannon from this process on loopback, and reports every
// throughput as a ratio to the bare route measured in the same run. See bench/README.md.
//   npm run bench                  full run (10 s per scenario, 1,000 and 1,000,000 secrets)
//   npm run bench -- --quick       about 3 minutes (3 s per scenario, 1,000 and 10,000 secrets)
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { snapshotBuild } from './harness/build-snapshot.mjs'
import { renderChart } from './harness/chart.mjs'
import { measureColdStart } from './harness/cold-start.mjs'
import { measure } from './harness/load.mjs'
import { describeCode, describeMachine } from './harness/machine.mjs'
import { installCleanUp, removeTempDir, ROOT, tempDir } from './harness/processes.mjs'
import { updateReadme } from './harness/readme.mjs'
import { coldStartLine, machineLine, scenarioRows, seedLines, targetRows, textTable } from './harness/report.mjs'
import { startBare, startTrove } from './harness/servers.mjs'
import { KIND_LABELS, phasesOf, readSettings } from './harness/settings.mjs'
import { copyStore, ensureStore } from './harness/stores.mjs'
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

function describeLoad (kind, connections, r) {
  const issues = r.non2xx + r.errors + r.timeouts > 0 ? ` — ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts` : ''
  return `${KIND_LABELS[kind]} @${connections}: ${Math.round(r.reqPerSec)} req/s, p99 ${r.latencyMs.p99} ms${issues}`
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
      log(describeLoad('bare', connections, r))
      runs.push({ kind: 'bare', connections, ...r })
    }
  } finally {
    problems.push(...serverProblems('bare route', await bare.stop(), bare.output()))
  }
  return runs
}

async function runPhase (build, phase, store, settings, problems) {
  const dir = copyStore(store)
  const name = `Trove (${phase.store.toLocaleString('en-US')} secrets, read audit ${phase.auditReads ? 'on' : 'off'})`
  log(`starting ${name}`)
  const trove = await startTrove(build, dir, { auditReads: phase.auditReads })
  const rows = []
  try {
    for (const kind of phase.kinds) {
      for (const connections of settings.connections) {
        const r = await measure(trove, { kind, size: phase.store, connections }, settings)
        log(describeLoad(kind, connections, r))
        rows.push({ kind, store: phase.store, auditReads: phase.auditReads, connections, ...r })
      }
    }
  } finally {
    problems.push(...serverProblems(name, await trove.stop(), trove.output()))
    removeTempDir(dir)
  }
  return rows
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
    .map(r => `${KIND_LABELS[r.kind]} at ${r.store ?? '–'} secrets, ${r.connections} connections: ${r.non2xx} non-2xx ${JSON.stringify(r.statusCodes)}, ${r.errors} errors, ${r.timeouts} timeouts`)
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
  const bare = combineBare(bareBefore, await measureBare(settings, problems))
  for (const s of scenarios) addRatios(s, bare.find(b => b.connections === s.connections))
  problems.unshift(...loadProblems([...bare.flatMap(b => b.runs), ...scenarios]), ...noiseProblems([...bare, ...scenarios]))
  return { seeds: [...stores.values()].map(({ dir, ...s }) => s), coldStart, bare, scenarios, problems: [...new Set(problems)] }
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
