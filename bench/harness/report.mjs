// The figures as tables: padded text for the terminal, Markdown for bench/README.md.
import { deploymentLabel, KIND_LABELS } from './settings.mjs'
import { rowGoal } from './targets.mjs'

const n = (value, digits = 0) => value === undefined || Number.isNaN(value)
  ? '–'
  : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
const mark = met => met === undefined ? '' : met ? 'met' : 'NOT met'

function scenarioLabel (s) {
  const label = s.auditReads === false ? `${KIND_LABELS[s.kind]}, read audit off` : KIND_LABELS[s.kind]
  const deployment = deploymentLabel(s)
  return deployment === undefined ? label : `${label} (${deployment})`
}

/** Errors, timeouts and non-2xx answers are shown on the row, never dropped. */
function problemsOf (s) {
  const parts = []
  if (s.non2xx > 0) parts.push(`${s.non2xx} non-2xx ${JSON.stringify(s.statusCodes)}`)
  if (s.errors > 0) parts.push(`${s.errors} errors`)
  if (s.timeouts > 0) parts.push(`${s.timeouts} timeouts`)
  return parts.join(', ')
}

/** What the columns sum over several processes, each on its own; and PostgreSQL's CPU time. */
function deploymentNotes (s) {
  const parts = []
  if (s.perProcess !== undefined) {
    const each = (pick, digits) => s.perProcess.map(p => n(pick(p), digits)).join(' + ')
    parts.push(`per process: ${each(p => p.reqPerSec)} req/s, p99 ${s.perProcess.map(p => n(p.latencyMs.p99)).join(' / ')} ms, RSS ${each(p => p.rssPeakMiB, 1)} MiB` +
      (s.cpu?.servers === undefined ? '' : `, CPU ${s.cpu.servers.map(c => n(c, 2)).join(' + ')}`))
  }
  if (s.cpu?.database !== undefined) parts.push(`PostgreSQL CPU ${n(s.cpu.database, 2)}`)
  return parts
}

/** CPUs busy on average during the measured run: the server's, and other processes' (noise). */
function cpuCells (cpu) {
  return { 'server CPU': n(cpu?.server, 2), 'others CPU': n(cpu?.others, 2) }
}

function bareRow (bare) {
  return {
    scenario: KIND_LABELS.bare,
    store: '–',
    conns: String(bare.connections),
    'req/s': n(bare.reqPerSec),
    'p99 ms': n(bare.latencyMs.p99),
    '× bare': '1.00',
    '× bare /CPU': '1.00',
    target: '',
    met: '',
    'peak RSS MiB': n(bare.rssPeakMiB, 1),
    ...cpuCells(bare.cpu),
    notes: `start ${n(bare.runs[0].reqPerSec)}, end ${n(bare.runs.at(-1).reqPerSec)} req/s` + (problemsOf(bare) && `; ${problemsOf(bare)}`)
  }
}

function scenarioRow (s, settings) {
  const goal = rowGoal(s, settings)
  return {
    scenario: scenarioLabel(s),
    store: n(s.store),
    conns: String(s.connections),
    'req/s': n(s.reqPerSec),
    'p99 ms': n(s.latencyMs.p99),
    '× bare': n(s.ratio, 2),
    '× bare /CPU': n(s.ratioPerCpu, 2),
    target: goal === undefined ? '' : `≥ ${goal}`,
    met: goal === undefined ? '' : mark(s.ratio >= goal),
    'peak RSS MiB': n(s.rssPeakMiB, 1),
    ...cpuCells(s.cpu),
    notes: [...deploymentNotes(s), problemsOf(s)].filter(Boolean).join('; ')
  }
}

export function scenarioRows (results) {
  return [...results.bare.map(bareRow), ...results.scenarios.map(s => scenarioRow(s, results.settings))]
}

export function targetRows (results) {
  return results.targets.map(t => ({
    target: t.label,
    measured: t.unit === 'MiB' ? `${n(t.measured, 1)} MiB` : `${n(t.measured, 2)}`,
    goal: `${t.comparison === '<=' ? '≤' : '≥'} ${t.goal}${t.unit === 'MiB' ? ' MiB' : ''}`,
    met: mark(t.met)
  }))
}

export function textTable (rows) {
  if (rows.length === 0) return ''
  const columns = Object.keys(rows[0])
  const widths = columns.map(c => Math.max(c.length, ...rows.map(r => r[c].length)))
  const numeric = columns.map(c => rows.every(r => /^[-–\d.,≥≤ ]*$/.test(r[c])))
  const line = cells => cells.map((cell, i) => numeric[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i])).join('  ').trimEnd()
  return [line(columns), line(widths.map(w => '-'.repeat(w))), ...rows.map(r => line(columns.map(c => r[c])))].join('\n')
}

export function markdownTable (rows) {
  if (rows.length === 0) return ''
  const columns = Object.keys(rows[0])
  const escape = text => text.replaceAll('|', '\\|')
  return [
    `| ${columns.join(' | ')} |`,
    `|${columns.map(() => '---').join('|')}|`,
    ...rows.map(r => `| ${columns.map(c => escape(r[c])).join(' | ')} |`)
  ].join('\n')
}

export function machineLine (machine) {
  // two decimals always, so a load of exactly 1 does not read as the end of the sentence ("1.")
  const loads = values => values.map(n => n.toFixed(2)).join(' ')
  const end = machine.loadAverageAtEnd === undefined ? '' : `, at end ${loads(machine.loadAverageAtEnd)}`
  return `${machine.nproc} CPUs (${machine.cpu}), ${machine.memoryGiB} GiB RAM, Node ${machine.node}, Linux ${machine.kernel}; load average at start ${loads(machine.loadAverage)}${end}`
}

export function seedLines (results) {
  const pg = results.postgres?.seed
  return [
    ...results.seeds.map(s => `${n(s.size)} secrets: ${n(s.seconds, 1)} s` +
      ` (${n(s.bytes / 1024 / 1024, 1)} MiB on disk${s.cached ? `, cached from ${s.seededAt}` : ''})`),
    ...(pg === undefined ? [] : [`${n(pg.size)} secrets into PostgreSQL: ${n(pg.seconds, 1)} s (database of ${n(pg.bytes / 1024 / 1024, 1)} MiB)`])
  ]
}

/** Which PostgreSQL the database comparison ran on, or why it was left out. */
export function postgresLine (postgres) {
  if (postgres === undefined) return 'PostgreSQL: not measured'
  if (postgres.skipped !== undefined) return `PostgreSQL section skipped: ${postgres.skipped}`
  return `PostgreSQL ${postgres.version} at ${postgres.server}, a throw-away database per deployment (dropped at the end)`
}

export function coldStartLine (cold) {
  return `cold start (median of ${cold.runs}): Trove ${n(cold.troveMs, 1)} ms to first answer, node -e 0 ${n(cold.nodeMs, 1)} ms, ratio ${n(cold.ratio, 2)}`
}
