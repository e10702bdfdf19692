import bearerAuth from '@fastify/bearer-auth'
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { eventFrom, type AuditLog } from '../audit/audit-log.js'
import { AppError, errors } from '../errors.js'
import type { ApiKeyVerifier, AuthFailure } from '../services/api-keys-service.js'
import { hasScope, type Principal, type Scope } from '../services/principal.js'

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal
    authFailure: AuthFailure | undefined
    /** the refused key's id, when it is one Trove knows (revoked, expired, tampered) */
    authFailureKeyId: string | undefined
  }
  interface FastifyContextConfig {
    /** the scope a key needs for this route; null: any valid key. Every /v1 route must say. */
    scope?: Scope | null
    operationId?: string
    /** the route reads query parameters (each may be given once) */
    query?: boolean
  }
}

export interface AuthenticateOptions {
  verifier: ApiKeyVerifier
  audit: AuditLog
  /** requests per second per API key (TROVE_RATE_LIMIT) */
  rateLimit: number
  /** failed authentications per minute per client address (TROVE_AUTH_FAILURE_LIMIT) */
  authFailureLimit: number
}

/** How long failed authentications from an address count against it. */
const FAILURE_WINDOW_MS = 60_000

const failureMessages: Record<AuthFailure, string> = {
  malformed: 'the API key is not valid',
  unknown: 'the API key is not valid',
  revoked: 'the API key has been revoked',
  expired: 'the API key has expired',
  // the client learns nothing of the row; the operator reads the error logged below
  tampered: 'the API key is not valid'
}

/** Baseten's documented 429 text, with Trove's code and the wait in seconds. */
function tooManyRequests (seconds: number, why: string): AppError {
  const retryAfter = Math.max(1, seconds)
  return new AppError(429, 'rate_limited', why, {
    headers: { 'retry-after': String(retryAfter) },
    details: { error: 'Rate limit exceeded. Please try again later.', retry_after: retryAfter }
  })
}

/**
 * Requires an API key, and the route's scope, on every route of the scope it is registered in.
 * Baseten documents both `Authorization: Bearer <key>` and the legacy `Api-Key <key>`, matched
 * case-insensitively; @fastify/bearer-auth checks one scheme per verifier, so there is one per
 * scheme. All of it runs at onRequest, so unauthenticated bodies are never parsed.
 */
async function authenticate (app: FastifyInstance, options: AuthenticateOptions): Promise<void> {
  const { verifier, audit } = options
  await app.register(bearerAuth, { keys: [], addHook: false, verifyErrorLogLevel: 'debug' })
  await app.register(rateLimit, { global: false })
  const perKey = app.createRateLimit({ max: options.rateLimit, timeWindow: 1000, keyGenerator: request => request.principal.keyId })
  // Guessing keys is slowed per address: only failures count, and a blocked address is refused
  // before its key is even checked, so a right guess cannot get through either.
  const failures = app.createRateLimit({ max: options.authFailureLimit, timeWindow: FAILURE_WINDOW_MS })
  // No address can be blocked when none failed within the window: the check is then skipped
  // (it is two awaits on every request, a measurable share of a read).
  let lastFailureAt = -Infinity
  const mayBeBlocked = (): boolean => performance.now() - lastFailureAt < FAILURE_WINDOW_MS

  app.addHook('onRoute', route => {
    if (route.config?.scope === undefined) throw new Error(`route ${route.method} ${route.url} declares no scope`)
  })

  const auth = async (key: string, request: FastifyRequest): Promise<boolean> => {
    const result = await verifier.verify(key)
    if ('principal' in result) {
      // every property written out: a spread copy with properties added survived young-generation
      // collections in V8 11 (Node 20) and filled the old generation (issue 9, resident memory)
      const { keyId, scopes, teams, expiresAt } = result.principal
      request.principal = { keyId, scopes, teams, expiresAt, requestId: request.id, clientIp: request.ip }
      return true
    }
    request.authFailure = result.failure
    request.authFailureKeyId = result.keyId
    if (result.failure === 'tampered') {
      request.log.error({ keyId: result.keyId, reason: result.failure },
        'API key refused: its stored row fails its integrity check (changed outside Trove); revoke it and create a new one')
    } else if (result.keyId !== undefined) {
      request.log.info({ keyId: result.keyId, reason: result.failure }, 'API key refused')
    }
    return false
  }
  const verifierFor = (bearerType: string) => app.verifyBearerAuthFactory!({
    keys: [], auth, bearerType, addHook: false, specCompliance: 'rfc6749', verifyErrorLogLevel: 'debug'
  })
  const verifiers = { bearer: verifierFor('Bearer'), apiKey: verifierFor('Api-Key') }

  /** A 401 is recorded here; a 403 (with the key known) by the error handler, as every 403 is. */
  async function refuse (request: FastifyRequest, err: AppError): Promise<never> {
    if (err.statusCode === 401) {
      audit.recordRefusal(eventFrom(undefined, 'AUTH_FAILED', {
        keyId: request.authFailureKeyId ?? null,
        outcome: 'denied',
        clientIp: request.ip,
        requestId: request.id,
        detail: `${request.method} ${request.routeOptions.url ?? ''}: ${err.code}`
      }))
      lastFailureAt = performance.now()
      await failures(request)
    }
    throw err
  }

  app.decorateRequest('principal', null as unknown as Principal)
  app.decorateRequest('authFailure', undefined)
  app.decorateRequest('authFailureKeyId', undefined)
  app.addHook('onRequest', async (request, reply) => {
    const blocked = mayBeBlocked() ? await failures(request, { increment: false }) : undefined
    if (blocked !== undefined && !blocked.isAllowed && blocked.remaining === 0) throw tooManyRequests(blocked.ttlInSeconds, 'too many failed authentications from this address; wait before trying again')

    const header = request.headers.authorization
    if (header === undefined || header.trim() === '') return await refuse(request, errors.missingApiKey())
    const verify = /^api-key /i.test(header) ? verifiers.apiKey : verifiers.bearer
    const err = await new Promise<Error | undefined>(resolve => verify(request, reply, resolve))
    if (err !== undefined) {
      if (reply.statusCode !== 401) throw err
      const failure = request.authFailure
      return await refuse(request, failure !== undefined
        ? errors.invalidApiKey(failureMessages[failure])
        : new AppError(401, 'invalid_authorization_header', 'the Authorization header must be "Bearer <key>" or "Api-Key <key>"',
          { headers: { 'www-authenticate': 'Bearer realm="trove", error="invalid_request"' } }))
    }

    // the limit counts refused requests too: each refusal is an audit entry, so a key must not be
    // able to write those faster than it may make requests
    const limit = await perKey(request)
    if (!limit.isAllowed && limit.isExceeded) {
      throw tooManyRequests(limit.ttlInSeconds, `more than ${options.rateLimit} requests per second with this API key`)
    }

    const scope = request.routeOptions.config.scope
    if (scope !== null && scope !== undefined && !hasScope(request.principal.scopes, scope)) {
      return await refuse(request, new AppError(403, 'insufficient_scope', `this API key lacks the "${scope}" scope`, {
        headers: { 'www-authenticate': `Bearer realm="trove", error="insufficient_scope", scope="${scope}"` }
      }))
    }
  })
}

export default fp(authenticate, { name: 'trove-authenticate' })
