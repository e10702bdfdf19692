import bearerAuth from '@fastify/bearer-auth'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { AppError, errors } from '../errors.js'
import type { ApiKeyVerifier, AuthFailure } from '../services/api-keys-service.js'
import type { Principal } from '../services/principal.js'

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal
    authFailure: AuthFailure | undefined
  }
}

const failureMessages: Record<AuthFailure, string> = {
  malformed: 'the API key is not valid',
  unknown: 'the API key is not valid',
  revoked: 'the API key has been revoked',
  expired: 'the API key has expired'
}

/**
 * Requires an API key on every route of the scope it is registered in. Baseten documents both
 * `Authorization: Bearer <key>` and the legacy `Authorization: Api-Key <key>`, with the scheme
 * matched case-insensitively; @fastify/bearer-auth checks one scheme per verifier, so there is
 * one verifier per scheme. It runs at onRequest, so unauthenticated bodies are never parsed.
 */
async function authenticate (app: FastifyInstance, options: { verify: ApiKeyVerifier }): Promise<void> {
  await app.register(bearerAuth, { keys: [], addHook: false, verifyErrorLogLevel: 'debug' })

  const auth = async (key: string, request: FastifyRequest): Promise<boolean> => {
    const result = await options.verify(key)
    if ('principal' in result) {
      request.principal = result.principal
      return true
    }
    request.authFailure = result.failure
    if (result.keyId !== undefined) request.log.info({ keyId: result.keyId, reason: result.failure }, 'API key refused')
    return false
  }
  const verifierFor = (bearerType: string) => app.verifyBearerAuthFactory!({
    keys: [], auth, bearerType, addHook: false, specCompliance: 'rfc6749', verifyErrorLogLevel: 'debug'
  })
  const verifiers = { bearer: verifierFor('Bearer'), apiKey: verifierFor('Api-Key') }

  app.decorateRequest('principal', null as unknown as Principal)
  app.decorateRequest('authFailure', undefined)
  app.addHook('onRequest', (request, reply, done) => {
    const header = request.headers.authorization
    if (header === undefined || header.trim() === '') return done(errors.missingApiKey())
    const verify = /^api-key /i.test(header) ? verifiers.apiKey : verifiers.bearer
    verify(request, reply, (err?: Error) => {
      if (err === undefined) return done()
      if (reply.statusCode !== 401) return done(err)
      const failure = request.authFailure
      if (failure !== undefined) return done(errors.invalidApiKey(failureMessages[failure]))
      done(new AppError(401, 'invalid_authorization_header',
        'the Authorization header must be "Bearer <key>" or "Api-Key <key>"',
        { headers: { 'www-authenticate': 'Bearer realm="trove", error="invalid_request"' } }))
    })
  })
}

export default fp(authenticate, { name: 'trove-authenticate' })
