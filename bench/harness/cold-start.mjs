// Cold start: process spawn of `node dist/server.js` (in memory, fixed key) to its first
// answered GET /v1/secrets, against `node -e 0` spawn-to-exit, interleaved in the same run.
import { BENCH_KEY } from './names.mjs'
import { freePort, httpGet, spawnNode, stopProcess } from './processes.mjs'
import { median } from './stats.mjs'

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

async function nodeNoop () {
  const started = performance.now()
  const handle = spawnNode(['-e', '0'], {})
  await handle.exited
  return performance.now() - started
}

/**
 * Polls every 5 ms: the figure is at most that late, and polling faster takes CPU from the
 * starting process on a 2-core machine.
 */
async function troveToFirstAnswer (build, dataDir) {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}/v1/secrets`
  const started = performance.now()
  const handle = spawnNode([build.serverEntry], {
    TROVE_DB: ':memory:', TROVE_DATA_DIR: dataDir, TROVE_PORT: String(port), TROVE_BOOTSTRAP_KEY: BENCH_KEY, TROVE_LOG_LEVEL: 'warn'
  })
  try {
    for (;;) {
      if (!handle.alive()) throw new Error(`Trove exited during cold start:\n${handle.output()}`)
      const status = await httpGet(url, { authorization: `Bearer ${BENCH_KEY}` }).catch(() => undefined)
      if (status === 200) return performance.now() - started
      if (status !== undefined) throw new Error(`cold start: GET /v1/secrets answered ${status}`)
      await sleep(5)
    }
  } finally {
    await stopProcess(handle)
  }
}

/** Median of `runs` of each, after one unmeasured run of each that warms the file cache. */
export async function measureColdStart (build, runs, dataDir) {
  await nodeNoop()
  await troveToFirstAnswer(build, dataDir)
  const node = []
  const trove = []
  for (let i = 0; i < runs; i++) {
    node.push(await nodeNoop())
    trove.push(await troveToFirstAnswer(build, dataDir))
  }
  const nodeMs = median(node)
  const troveMs = median(trove)
  return { runs, nodeMs, troveMs, ratio: troveMs / nodeMs, nodeRunsMs: node, troveRunsMs: trove }
}
