// A hand-written SVG: one horizontal bar per scenario, its throughput as a ratio to the bare
// route (same run, same connection count), with the target drawn as a line where there is one.
import { deploymentLabel, KIND_LABELS } from './settings.mjs'
import { rowGoal } from './targets.mjs'

const ROW = 22
const LEFT = 460
const WIDTH = 560
const TOP = 72

const escape = text => String(text).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')

function label (s) {
  const audit = s.auditReads === false ? ', audit off' : ''
  const deployment = deploymentLabel(s)
  return `${KIND_LABELS[s.kind]}${audit}${deployment === undefined ? '' : ` · ${deployment}`} · ${s.store.toLocaleString('en-US')} · ${s.connections} conns`
}

function colour (ratio, goal) {
  if (goal === undefined) return '#7a8fa6'
  return ratio >= goal ? '#3a9d5d' : '#d9822b'
}

function bar (s, i, scale, goal) {
  const y = TOP + i * ROW
  const w = Math.max(1, (s.ratio ?? 0) * scale)
  const parts = [
    `<text x="${LEFT - 8}" y="${y + 15}" text-anchor="end">${escape(label(s))}</text>`,
    `<rect x="${LEFT}" y="${y + 3}" width="${w.toFixed(1)}" height="${ROW - 6}" fill="${colour(s.ratio, goal)}"/>`,
    `<text x="${(LEFT + w + 4).toFixed(1)}" y="${y + 15}">${(s.ratio ?? 0).toFixed(2)}</text>`
  ]
  if (goal !== undefined) {
    const x = (LEFT + goal * scale).toFixed(1)
    parts.push(`<line x1="${x}" x2="${x}" y1="${y}" y2="${y + ROW}" stroke="#c0392b" stroke-width="2"><title>target ${goal}</title></line>`)
  }
  return parts.join('')
}

function axis (scale, max, bottom) {
  const ticks = []
  for (let t = 0; t <= max + 1e-9; t += max > 2 ? 0.5 : 0.25) {
    const x = (LEFT + t * scale).toFixed(1)
    ticks.push(`<line x1="${x}" x2="${x}" y1="${TOP - 4}" y2="${bottom}" stroke="#ddd"/><text x="${x}" y="${TOP - 8}" text-anchor="middle" fill="#666">${t.toFixed(2)}</text>`)
  }
  return ticks.join('')
}

function footer (results, y) {
  return results.targets.map((t, i) => {
    const value = t.unit === 'MiB' ? `${t.measured?.toFixed(1)} MiB` : t.measured?.toFixed(2)
    const sign = t.comparison === '<=' ? '≤' : '≥'
    const verdict = t.met === undefined ? '' : t.met ? 'met' : 'NOT met'
    return `<text x="16" y="${y + i * 18}" fill="${t.met === false ? '#c0392b' : '#333'}">${escape(`${t.label}: ${value} (target ${sign} ${t.goal}${t.unit === 'MiB' ? ' MiB' : ''}) ${verdict}`)}</text>`
  }).join('')
}

export function renderChart (results) {
  const rows = results.scenarios
  const max = Math.max(1, ...rows.map(s => s.ratio ?? 0))
  const scale = WIDTH / max
  const bottom = TOP + rows.length * ROW
  const footY = bottom + 30
  const height = footY + results.targets.length * 18 + 10
  const title = `Trove throughput ÷ bare Fastify route (same run) — ${results.mode} run ${results.startedAt}`
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${LEFT + WIDTH + 60}" height="${height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
<text x="16" y="22" font-size="14" font-weight="bold">${escape(title)}</text>
<text x="16" y="40" fill="#666">${escape(`${results.machine.nproc} CPUs, ${results.machine.cpu}, Node ${results.machine.node}; red line = target, green = met, orange = not met`)}</text>
${axis(scale, max, bottom)}
${rows.map((s, i) => bar(s, i, scale, rowGoal(s, results.settings))).join('\n')}
${footer(results, footY)}
</svg>
`
}
