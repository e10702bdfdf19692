/**
 * Runs the service as a process: settings from the environment, open the store, listen, and
 * shut down cleanly on SIGTERM/SIGINT. server.ts (dist/server.js, what `npm start` and the
 * Docker CMD run) loads this module, from the one-file bundle when the build made one;
 * `trove serve` calls runServer() with its flags merged into the environment.
 */
import { readFileSync } from 'node:fs'
import { createServer as createNetServer } from 'node:net'
// in the server bundle, tls loads on first use (scripts/build-server-bundle.mjs): only with TLS
import { createSecureContext } from 'node:tls'
import type { FastifyInstance } from 'fastify'
import pino, { type Logger } from 'pino'
import { buildApp } from './app.js'
import { type Config, loadConfig } from './config.js'
import { StartupError } from './errors.js'
import { loggerOptions } from './logger.js'
import { openTrove, type OpenedTrove } from './trove.js'

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])

function readTlsFile (path: string, variable: string): Buffer {
  try {
    return readFileSync(path)
  } catch {
    throw new StartupError(`${variable}: cannot read ${path}`)
  }
}

/**
 * The TLS settings as Node takes them, checked before anything is created: a file that is not a
 * PEM certificate and its key stops the start with the variables named, not at listen.
 */
function tlsOptions (tls: Config['tls']): { cert: Buffer, key: Buffer } | undefined {
  if (tls === undefined) return undefined
  const cert = readTlsFile(tls.certFile, 'TROVE_TLS_CERT_FILE')
  const key = readTlsFile(tls.keyFile, 'TROVE_TLS_KEY_FILE')
  try {
    createSecureContext({ cert, key })
  } catch (err) {
    // OpenSSL's reason names what is wrong (no PEM, key does not match), never the key's bytes
    throw new StartupError(`TROVE_TLS_CERT_FILE, TROVE_TLS_KEY_FILE: not a PEM certificate and its private key (${(err as Error).message})`)
  }
  return { cert, key }
}

/** A failed listen as a start-up error naming the setting to change; any other error as it is. */
function listenProblem (err: unknown, host: string, port: number): unknown {
  switch ((err as { code?: string }).code) {
    case 'EADDRINUSE': return new StartupError(`TROVE_PORT: port ${port} on ${host} is in use by another process`)
    case 'EACCES': return new StartupError(`TROVE_PORT: this user may not listen on port ${port} (ports below 1024 need privileges)`)
    case 'EADDRNOTAVAIL': return new StartupError(`TROVE_HOST: ${host} is not an address of this machine`)
    case 'ENOTFOUND': case 'EAI_AGAIN': return new StartupError(`TROVE_HOST: ${host} does not resolve to an address`)
    default: return err
  }
}

/**
 * Tries the address and port before the store is opened: a first start that fails there must
 * not have created the database and master key and printed an admin key (shown only once, and
 * easily missed above a failure). The port is let go at once; a port taken in between still
 * fails at the real listen, with the same message.
 */
async function checkListenable (host: string, port: number): Promise<void> {
  if (port === 0) return
  const probe = createNetServer()
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject)
      probe.listen({ host, port, exclusive: true }, resolve)
    })
  } catch (err) {
    throw listenProblem(err, host, port)
  } finally {
    // a probe that never listened answers close() with an error, which does not matter here
    await new Promise<void>(resolve => probe.close(() => resolve()))
  }
}

async function listen (app: FastifyInstance, host: string, port: number): Promise<void> {
  try {
    await app.listen({ host, port })
  } catch (err) {
    throw listenProblem(err, host, port)
  }
}

export interface StartedServer {
  app: FastifyInstance
  trove: OpenedTrove
  config: Readonly<Config>
  logger: Logger
  /** where it listens, e.g. http://127.0.0.1:8080 */
  url: string
}

/**
 * Everything up to a listening server: settings, logger, store, app, listen. The build's warm-up
 * run (scripts/build-server-bundle.mjs) calls it too, so the code cache holds this path.
 */
export async function startServer (env: Record<string, string | undefined>): Promise<StartedServer> {
  // files Trove creates (database, WAL, generated key) are readable by its own user only
  process.umask(0o077)
  const config = loadConfig(env)
  // children and crash dumps must not inherit the key
  delete process.env.TROVE_MASTER_KEY
  const logger = pino(loggerOptions(config.logLevel))
  const https = tlsOptions(config.tls)
  await checkListenable(config.host, config.port)

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
    trustProxy: config.trustProxy,
    auditReads: config.auditReads,
    metricsToken: config.metricsToken,
    https
  })
  if (config.tls === undefined && !LOOPBACK.has(config.host)) {
    logger.warn({ host: config.host }, 'listening on a non-loopback address without TLS: API keys and secrets cross the network in clear text; set TROVE_TLS_CERT_FILE and TROVE_TLS_KEY_FILE or put a TLS proxy in front')
  }
  await listen(app, config.host, config.port)
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : config.port
  const host = config.host.includes(':') ? `[${config.host}]` : config.host
  const url = `${config.tls === undefined ? 'http' : 'https'}://${host}:${port}`
  logger.info({ url }, `Trove is listening on ${url}`)
  return { app, trove, config, logger, url }
}

async function main (env: Record<string, string | undefined>): Promise<void> {
  const { app, trove, config, logger } = await startServer(env)
  let closing = false
  const shutdown = (signal: string): void => {
    if (closing) return
    closing = true
    logger.info({ signal }, 'shutting down')
    // requests in flight may finish, for a bounded time; then batched writes are flushed (onClose)
    // and the store is checkpointed and closed
    const bound = new Promise<void>(resolve => setTimeout(() => {
      logger.warn({ timeoutMs: config.shutdownTimeoutMs }, 'requests still in flight at the shutdown bound')
      resolve()
    }, config.shutdownTimeoutMs).unref())
    Promise.race([app.close(), bound])
      .then(() => trove.close())
      .then(() => process.exit(0), (err: unknown) => {
        logger.error({ err }, 'shutdown failed')
        process.exit(1)
      })
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))
}

/** Starts the service; a start-up problem is printed as one line and exits non-zero. */
export function runServer (env: Record<string, string | undefined> = process.env): void {
  main(env).catch((err: unknown) => {
    if (err instanceof StartupError) {
      process.stderr.write(`trove: ${err.message}\n`)
      process.exit(78)
    }
    process.stderr.write(`trove: failed to start: ${(err as Error).name}: ${(err as Error).message}\n`)
    process.exit(1)
  })
}
