// The servers under load: Trove as `npm start` and Docker run it, and the bare Fastify route.
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BENCH_KEY } from './names.mjs'
import { freePort, spawnNode, stopProcess, waitForHttp } from './processes.mjs'

const BARE_SCRIPT = fileURLToPath(new URL('./bare-server.mjs', import.meta.url))

function serverHandle (handle, url, settleUrl) {
  return {
    url,
    settleUrl,
    pid: handle.pid,
    output: handle.output,
    /** Stops it; how it ended, so a crash or a failed shutdown shows in the report. */
    stop: () => stopProcess(handle)
  }
}

/**
 * Trove on a data folder holding a seeded store, or with `databaseUrl` on a seeded PostgreSQL
 * database (the folder then holds only its master key, which every process of that database
 * must share). Everything else default: synchronous=FULL, 20 versions, a pool of 10 PostgreSQL
 * connections; the per-key rate limit is lifted so it does not cap the load. `env` adds to or
 * overrides those settings (bench/compare.mjs).
 */
export async function startTrove (build, dataDir, { auditReads = true, databaseUrl, env = {} } = {}) {
  const port = await freePort()
  const handle = spawnNode([build.serverEntry], {
    TROVE_DATA_DIR: dataDir,
    ...(databaseUrl === undefined ? {} : { TROVE_DATABASE_URL: databaseUrl, TROVE_MASTER_KEY_FILE: join(dataDir, 'master.key') }),
    TROVE_PORT: String(port),
    TROVE_BOOTSTRAP_KEY: BENCH_KEY,
    TROVE_LOG_LEVEL: 'warn',
    TROVE_RATE_LIMIT: '1000000000',
    ...(auditReads ? {} : { TROVE_AUDIT_READS: 'false' }),
    ...env
  })
  const url = `http://127.0.0.1:${port}`
  await waitForHttp(handle, `${url}/healthz`)
  return serverHandle(handle, url, `${url}/healthz`)
}

export async function startBare () {
  const port = await freePort()
  const handle = spawnNode([BARE_SCRIPT], { BARE_PORT: String(port) })
  const url = `http://127.0.0.1:${port}`
  await waitForHttp(handle, `${url}/bare/ready`)
  return serverHandle(handle, url, `${url}/bare/settle`)
}
