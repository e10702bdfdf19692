// `npm run test:soak`: the reliability suite in its long form (TROVE_SOAK=1: 20 SIGKILL rounds,
// 20,000+ fuzzed requests, more load), then its figures as one table.
import { spawn } from 'node:child_process'

const files = [
  'test/reliability',
  'test/integration/no-leaks.test.ts',
  'test/integration/tamper.test.ts'
]
const child = spawn('npx', ['tap', '--timeout=3600', '--reporter=tap', ...files], {
  env: { ...process.env, TROVE_SOAK: '1' },
  stdio: ['ignore', 'pipe', 'inherit']
})
let output = ''
child.stdout.on('data', chunk => {
  output += chunk
  process.stdout.write(chunk)
})
const code = await new Promise(resolve => child.on('exit', resolve))

// figures are tap comments such as "# crash: 20 SIGKILLs, …"
const figures = []
const lines = output.split('\n').map(line => line.replace(/^\s*#\s?/, ''))
for (let i = 0; i < lines.length; i++) {
  const match = /^(crash|fuzz|tamper|wrong keys|leaks|limits|disk full): ?(.*)$/.exec(lines[i])
  if (match === null) continue
  const detail = [match[2]]
  while (match[1] === 'limits' && /^ {2}\S/.test(lines[i + 1] ?? '')) detail.push(lines[++i].trim())
  for (const part of detail.filter(Boolean)) figures.push({ check: match[1], figures: part })
}
console.log('\nSoak figures')
console.table(figures)
console.log(code === 0 ? 'all soak tests passed' : `soak tests FAILED (exit ${code})`)
process.exit(code ?? 1)
