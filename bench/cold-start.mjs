// Cold start alone, without the rest of the harness (npm run bench:cold): spawn of each server
// entry (default dist/server.js; `TROVE_DB=:memory:`, a fixed key) to its first answered
// GET /v1/secrets, against `node -e 0`, interleaved, median of BENCH_COLD_RUNS (default 9) after
// one unmeasured run of each (bench/harness/cold-start.mjs, as `npm run bench` measures it).
//   node bench/cold-start.mjs [entry ...]    e.g. an older build copied under bench/results/
import { resolve } from 'node:path'
import { measureColdStart } from './harness/cold-start.mjs'
import { installCleanUp, ROOT, tempDir } from './harness/processes.mjs'

installCleanUp()
const runs = Number(process.env.BENCH_COLD_RUNS ?? 9)
const entries = process.argv.length > 2 ? process.argv.slice(2).map(entry => resolve(entry)) : [resolve(ROOT, 'dist/server.js')]
const dataDir = tempDir('trove-cold-')
for (const serverEntry of entries) {
  const r = await measureColdStart({ serverEntry }, runs, dataDir)
  const ms = values => values.map(v => Math.round(v)).join(' ')
  console.log(`${serverEntry}: Trove ${r.troveMs.toFixed(1)} ms, node -e 0 ${r.nodeMs.toFixed(1)} ms, ratio ${r.ratio.toFixed(2)} (median of ${runs})`)
  console.log(`  Trove runs ${ms(r.troveRunsMs)}; node -e 0 runs ${ms(r.nodeRunsMs)}`)
}
process.exit(0)
