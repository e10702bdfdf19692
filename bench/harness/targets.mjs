// Issue 9's targets, judged on figures from one run. Throughput targets are ratios to the bare
// route measured in the same run at the same connection count.

// the database comparison's rows repeat some of these scenarios; the targets are the main rows'
const find = (scenarios, kind, store, connections, auditReads = true) =>
  scenarios.find(s => s.kind === kind && s.store === store && s.connections === connections && s.auditReads === auditReads && s.database === undefined)

/** Goals shown beside the matching scenario rows. */
export const ROW_GOALS = [
  { kind: 'read-value', store: 'small', connections: 10, goal: 0.5 },
  { kind: 'list', store: 'list', connections: 10, goal: 0.3 },
  { kind: 'upsert', store: 'small', connections: 100, goal: 0.3 }
]

/** The goal a scenario row carries, if any; none in the database comparison. */
export function rowGoal (scenario, settings) {
  if (scenario.database !== undefined) return undefined
  const sizes = { small: settings.small, list: settings.listSize }
  return ROW_GOALS.find(g => g.kind === scenario.kind && sizes[g.store] === scenario.store &&
    g.connections === scenario.connections && scenario.auditReads)?.goal
}

function judge (measured, goal, atMost) {
  if (measured === undefined || Number.isNaN(measured)) return undefined
  return atMost ? measured <= goal : measured >= goal
}

function target (id, label, measured, goal, { atMost = false, unit = '×' } = {}) {
  return { id, label, measured, goal, comparison: atMost ? '<=' : '>=', unit, met: judge(measured, goal, atMost) }
}

const n = size => size.toLocaleString('en-US')

export function judgeTargets ({ scenarios, coldStart, settings }) {
  const { small, large, listSize } = settings
  const ratio = (kind, store, c) => find(scenarios, kind, store, c)?.ratio
  const largeRead = find(scenarios, 'read-value', large, 10)
  const smallRead = find(scenarios, 'read-value', small, 10)
  const largeLast = scenarios.filter(s => s.store === large && s.database === undefined).at(-1)
  return [
    target('read-value-10', 'read a value, 10 connections (× bare)', ratio('read-value', small, 10), 0.5),
    target('list-10', `list ${listSize} secrets, 10 connections (× bare)`, ratio('list', listSize, 10), 0.3),
    target('upsert-100', 'durable upsert, 100 connections (× bare)', ratio('upsert', small, 100), 0.3),
    target('read-large-vs-small', `read a value at ${n(large)} vs ${n(small)} secrets, 10 connections`, largeRead && smallRead && largeRead.reqPerSec / smallRead.reqPerSec, 0.9),
    target('cold-start', 'cold start to first answer (× node -e 0)', coldStart?.ratio, 3, { atMost: true }),
    target('rss-large', `peak RSS (VmHWM) after load at ${n(large)} secrets`, largeLast?.hwmMiB, 150, { atMost: true, unit: 'MiB' })
  ]
}
