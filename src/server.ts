/**
 * The process entry (`npm start`, the Docker CMD): settings from the environment, open the
 * store, listen, and shut down cleanly on SIGTERM/SIGINT.
 */
import pino from 'pino'
import { buildApp } from './app.js'
import { loadConfig } from './config.js'
import { StartupError } from './errors.js'
import { loggerOptions } from './logger.js'
import { openTrove } from './trove.js'

async function main (): Promise<void> {
  // files Trove creates (database, WAL, generated key) are readable by its own user only
  process.umask(0o077)
  const config = loadConfig()
  // children and crash dumps must not inherit the key
  delete process.env.TROVE_MASTER_KEY
  const logger = pino(loggerOptions(config.logLevel))

  const trove = await openTrove(config, logger)
  if (trove.generatedAdminKey !== undefined) {
    // printed once, outside the log stream: only its hash is stored
    process.stderr.write(`\nTrove created an admin API key. It is shown only this once; store it now:\n\n  ${trove.generatedAdminKey}\n\n`)
  }
  const app = await buildApp({
    trove,
    loggerInstance: logger,
    maxVersions: config.maxVersions,
    recoveryDays: config.recoveryDays,
    rateLimit: config.rateLimit,
    authFailureLimit: config.authFailureLimit,
    auditReads: config.auditReads
  })
  await app.listen({ host: config.host, port: config.port })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : config.port
  const host = config.host.includes(':') ? `[${config.host}]` : config.host
  logger.info({ url: `http://${host}:${port}` }, `Trove is listening on http://${host}:${port}`)

  let closing = false
  const shutdown = (signal: string): void => {
    if (closing) return
    closing = true
    logger.info({ signal }, 'shutting down')
    app.close()
      .then(() => trove.close())
      .then(() => process.exit(0), (err: unknown) => {
        logger.error({ err }, 'shutdown failed')
        process.exit(1)
      })
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))
}

main().catch((err: unknown) => {
  if (err instanceof StartupError) {
    process.stderr.write(`trove: ${err.message}\n`)
    process.exit(78)
  }
  process.stderr.write(`trove: failed to start: ${(err as Error).name}: ${(err as Error).message}\n`)
  process.exit(1)
})
