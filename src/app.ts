import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { Logger } from 'pino'
import { createAuditLog, eventFrom } from './audit/audit-log.js'
import authenticate from './http/authenticate.js'
import { clientErrorHandler } from './http/client-errors.js'
import webConsole from './http/console.js'
import { frameworkErrorReply, installErrorHandler } from './http/error-handler.js'
import { acceptJsonWhateverTheContentType } from './http/json-body.js'
import { lazySerializers } from './http/lazy-serializers.js'
import { metricsPlugin } from './http/metrics.js'
import { createRotation } from './ops/rotation.js'
import apiKeyRoutes from './routes/api-keys.js'
import auditRoutes from './routes/audit.js'
import healthRoutes from './routes/health.js'
import secretFileRoutes from './routes/secret-files.js'
import secretRoutes from './routes/secrets.js'
import sysRoutes from './routes/sys.js'
import teamRoutes from './routes/teams.js'
import trashRoutes from './routes/trash.js'
import { createApiKeysService, createApiKeyVerifier } from './services/api-keys-service.js'
import { createSecretsService } from './services/secrets-service.js'
import { createTeamsService } from './services/teams-service.js'
import { createTransferService } from './services/transfer-service.js'
import type { TroveCore } from './trove.js'

/** Room for a 64 KiB value even when JSON escaping makes it several times longer. */
export const BODY_LIMIT = 1024 * 1024

export interface BuildAppOptions {
  trove: TroveCore
  /** Fastify logger options, or false (the default) for none */
  logger?: FastifyServerOptions['logger']
  /** a ready pino logger; wins over `logger` */
  loggerInstance?: Logger
  now?: () => Date
  /** versions kept per secret (TROVE_MAX_VERSIONS, default 20) */
  maxVersions?: number
  /** days a deleted secret stays restorable (TROVE_RECOVERY_DAYS, default 7) */
  recoveryDays?: number
  /** requests per second per API key (TROVE_RATE_LIMIT, default 100) */
  rateLimit?: number
  /** failed authentications per minute per address (TROVE_AUTH_FAILURE_LIMIT, default 30) */
  authFailureLimit?: number
  /**
   * reverse proxies (IPs, CIDR ranges) whose X-Forwarded-For names the client (TROVE_TRUST_PROXY);
   * unset, the client is the TCP peer and the header is ignored
   */
  trustProxy?: string[]
  /** record reads of values in the audit log (TROVE_AUDIT_READS, default true) */
  auditReads?: boolean
  /** bearer token for GET /metrics (TROVE_METRICS_TOKEN); open when unset */
  metricsToken?: string
  /** serve HTTPS with this certificate and key (TROVE_TLS_CERT_FILE / TROVE_TLS_KEY_FILE) */
  https?: { cert: Buffer, key: Buffer }
}

/** How often trashed secrets past their recovery window are destroyed. */
const PURGE_INTERVAL_MS = 60_000

/**
 * Builds the HTTP app without listening, so tests drive it with `app.inject()` and the process
 * entry (server.ts) decides where it listens.
 */
export async function buildApp (options: BuildAppOptions): Promise<FastifyInstance> {
  const { store, keyring, cipher } = options.trove
  const app = Fastify({
    ...(options.loggerInstance === undefined ? { logger: options.logger ?? false } : { loggerInstance: options.loggerInstance }),
    ...(options.https === undefined ? {} : { https: options.https }),
    // request.ip keys the failed-authentication limit and is the audit's client_ip: only the
    // listed proxies may set it, or any client could forge its address (never `true`)
    ...(options.trustProxy === undefined || options.trustProxy.length === 0 ? {} : { trustProxy: options.trustProxy }),
    bodyLimit: BODY_LIMIT,
    // names may be 253 characters; the default 100 would turn long ones into 404s
    routerOptions: { maxParamLength: 1024 },
    requestTimeout: 30_000,
    // one log line per request, when it completes (below), instead of Fastify's two
    logController: new LogController({ disableRequestLogging: true }),
    // a GET's HEAD twin would decrypt a value only to throw it away; the API has no HEAD
    exposeHeadRoutes: false,
    // the error handler answers 503 with Trove's error body while closing
    return503OnClosing: false,
    frameworkErrors: (error, _request, reply) => frameworkErrorReply(error, reply),
    clientErrorHandler,
    // response serializers are compiled on first use, not all at start-up
    schemaController: { compilersFactory: { buildSerializer: lazySerializers } }
  }) as unknown as FastifyInstance

  // hooks that run on every request are callbacks, not async functions: a promise each time shows
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed')
    done()
  })
  acceptJsonWhateverTheContentType(app, BODY_LIMIT)
  const { now } = options
  const audit = createAuditLog({ store, auditKey: keyring.auditKey, now, recordReads: options.auditReads })
  // every refusal of a known key is recorded, whichever check refused it
  installErrorHandler(app, {
    onForbidden: (request, code) => {
      if (request.principal === null) return
      audit.recordRefusal(eventFrom(request.principal, 'ACCESS_DENIED', {
        outcome: 'denied', detail: `${request.method} ${request.routeOptions.url ?? ''}: ${code}`
      }))
    }
  })
  app.addHook('onSend', (_request, reply, payload, done) => {
    // answers may hold secret values: never keep them in a cache
    reply.header('cache-control', 'no-store')
    reply.header('x-content-type-options', 'nosniff')
    done(null, payload)
  })

  const secrets = createSecretsService({
    store, cipher, keyring, audit, now, maxVersions: options.maxVersions, recoveryDays: options.recoveryDays
  })
  const transfer = createTransferService({ store, secrets })
  const verifier = createApiKeyVerifier({ store, keyring, now })
  const keys = createApiKeysService({ store, keyring, audit, verifier, now })
  const teams = createTeamsService({ store, audit, now })
  const rotation = createRotation({ store, keyring, cipher, now, onError: err => app.log.error({ err: { code: (err as { code?: string }).code } }, 'key rotation failed') })

  await metricsPlugin(app, { store, token: options.metricsToken })
  await app.register(healthRoutes, { store, keyring })
  await app.register(webConsole)
  await app.register(async api => {
    await api.register(authenticate, {
      verifier, audit, rateLimit: options.rateLimit ?? 100, authFailureLimit: options.authFailureLimit ?? 30
    })
    for (const [base, teamScoped] of [['/v1', false], ['/v1/teams/:team_id', true]] as const) {
      await api.register(secretRoutes, { prefix: `${base}/secrets`, secrets, teamScoped })
      await api.register(secretFileRoutes, { prefix: `${base}/secrets`, secrets, transfer, teamScoped, bodyLimit: BODY_LIMIT })
      await api.register(trashRoutes, { prefix: `${base}/trash`, secrets, teamScoped })
    }
    await api.register(teamRoutes, { prefix: '/v1/teams', secrets, teams })
    await api.register(apiKeyRoutes, { prefix: '/v1/api_keys', keys })
    await api.register(auditRoutes, { prefix: '/v1/audit_logs', audit })
    await api.register(sysRoutes, { prefix: '/v1/sys', store, keyring, cipher, rotation })
  })

  // Trashed secrets past their window are destroyed on start and every minute after.
  let purgeTimer: NodeJS.Timeout | undefined
  const purge = (): void => {
    secrets.purgeExpired().catch((err: unknown) => app.log.error({ err: { code: (err as { code?: string }).code } }, 'purging the trash failed'))
  }
  app.addHook('onReady', async () => {
    purge()
    purgeTimer = setInterval(purge, PURGE_INTERVAL_MS).unref()
    // a rotation a restart interrupted carries on
    await rotation.resume()
  })
  app.addHook('onClose', async () => {
    clearInterval(purgeTimer)
    await rotation.stop()
    // grouped writes reach the disk before the store closes
    await verifier.flush()
    await audit.close()
  })
  return app
}
