import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { Logger } from 'pino'
import authenticate from './http/authenticate.js'
import { frameworkErrorReply, installErrorHandler } from './http/error-handler.js'
import { acceptJsonWhateverTheContentType } from './http/json-body.js'
import healthRoutes from './routes/health.js'
import secretRoutes from './routes/secrets.js'
import teamRoutes from './routes/teams.js'
import { createApiKeyVerifier } from './services/api-keys-service.js'
import { createSecretsService } from './services/secrets-service.js'
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
}

/**
 * Builds the HTTP app without listening, so tests drive it with `app.inject()` and the process
 * entry (server.ts) decides where it listens.
 */
export async function buildApp (options: BuildAppOptions): Promise<FastifyInstance> {
  const { store, keyring, cipher } = options.trove
  const app = Fastify({
    ...(options.loggerInstance === undefined ? { logger: options.logger ?? false } : { loggerInstance: options.loggerInstance }),
    bodyLimit: BODY_LIMIT,
    // names may be 253 characters; the default 100 would turn long ones into 404s
    routerOptions: { maxParamLength: 1024 },
    requestTimeout: 30_000,
    // a GET's HEAD twin would decrypt a value only to throw it away; the API has no HEAD
    exposeHeadRoutes: false,
    // the error handler answers 503 with Trove's error body while closing
    return503OnClosing: false,
    frameworkErrors: (error, _request, reply) => frameworkErrorReply(error, reply)
  }) as unknown as FastifyInstance

  acceptJsonWhateverTheContentType(app, BODY_LIMIT)
  installErrorHandler(app)
  app.addHook('onSend', async (_request, reply) => {
    // answers may hold secret values: never keep them in a cache
    reply.header('cache-control', 'no-store')
    reply.header('x-content-type-options', 'nosniff')
  })

  const secrets = createSecretsService({ store, cipher, keyring, now: options.now })
  const verify = createApiKeyVerifier({ store, keyring, now: options.now })

  await app.register(healthRoutes, { store })
  await app.register(async api => {
    await api.register(authenticate, { verify })
    await api.register(secretRoutes, { prefix: '/v1/secrets', secrets, teamScoped: false })
    await api.register(secretRoutes, { prefix: '/v1/teams/:team_id/secrets', secrets, teamScoped: true })
    await api.register(teamRoutes, { prefix: '/v1/teams', secrets })
  })
  return app
}
