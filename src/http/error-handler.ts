import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AppError, errorBody } from '../errors.js'

interface Mapped {
  statusCode: number
  code: string
  message: string
  headers?: Record<string, string>
  details?: Record<string, unknown>
}

/** Fastify's own client errors, given Trove's codes. */
const fastifyCodes: Record<string, { code: string, message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'body_too_large', message: 'the request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'unsupported_media_type', message: 'the request body must be JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'invalid_body', message: 'the request body is empty' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'invalid_body', message: 'the Content-Length does not match the body' }
}

function map (err: FastifyError): Mapped {
  if (err instanceof AppError) return { statusCode: err.statusCode, code: err.code, message: err.message, headers: err.headers, details: err.details }
  const known = fastifyCodes[err.code]
  if (known !== undefined) return { statusCode: err.statusCode ?? 400, ...known }
  // SQLite says why a write failed in its code; none of these messages carry data.
  if (err.code === 'SQLITE_FULL') return { statusCode: 507, code: 'storage_full', message: 'the disk is full: the write was not stored' }
  if (err.code === 'SQLITE_BUSY') return { statusCode: 503, code: 'storage_busy', message: 'the database is busy; try again', headers: { 'retry-after': '1' } }
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return { statusCode: err.statusCode, code: 'bad_request', message: 'the request could not be processed' }
  }
  return { statusCode: 500, code: 'internal_error', message: 'internal error; the request id is in the server log' }
}

/**
 * Errors the router raises before any route or hook runs (a malformed URL, a path parameter
 * over the length limit) get the same body and headers as every other error.
 */
export function frameworkErrorReply (error: FastifyError, reply: FastifyReply): void {
  const statusCode = error.statusCode ?? 400
  const code = statusCode === 414 ? 'uri_too_long' : 'bad_url'
  reply.code(statusCode)
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .send(errorBody(statusCode, code, statusCode === 414 ? 'the request path is too long' : 'the request path is not a valid URL'))
}

/**
 * What a log may say about an unexpected error: its type, code and where it was thrown. Its
 * message is kept only for Trove's own errors and SQLite's, whose texts never hold data.
 */
function describe (err: FastifyError): Record<string, unknown> {
  const safeMessage = err instanceof AppError || err.name === 'SqliteError'
  const frames = (err.stack ?? '').split('\n').filter(line => line.trimStart().startsWith('at '))
  return { type: err.name, code: err.code, message: safeMessage ? err.message : undefined, stack: frames.join('\n') }
}

export interface ErrorHandlerOptions {
  /** every 403 (a missing scope, a team-bound key, a grant beyond the caller's own) goes here, for the audit log */
  onForbidden?: (request: FastifyRequest, code: string) => void
}

/**
 * One place turns every error into `{error, message, code}`. Messages of unexpected errors never
 * reach the client, and 5xx are logged with the request id so an operator can find them.
 */
export function installErrorHandler (app: FastifyInstance, options: ErrorHandlerOptions = {}): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const mapped = map(err)
    if (mapped.statusCode === 403) options.onForbidden?.(request, mapped.code)
    // expected refusals (shutting down, disk full, database away) are warnings, not bugs
    if (mapped.statusCode >= 500 && err instanceof AppError && mapped.statusCode !== 500) {
      request.log.warn({ code: mapped.code }, 'request refused')
    } else if (mapped.statusCode >= 500) {
      request.log.error({ err: describe(err) }, 'request failed')
    }
    if (mapped.headers !== undefined) reply.headers(mapped.headers)
    reply.code(mapped.statusCode).send({ ...errorBody(mapped.statusCode, mapped.code, mapped.message), ...mapped.details })
  })

  // Shutting down: Fastify's own 503 would lack `code`, so Trove answers it.
  let closing = false
  app.addHook('preClose', async () => { closing = true })
  // a callback, not an async function: it runs on every request and a promise each time shows
  app.addHook('onRequest', (_request, _reply, done) => {
    if (!closing) return done()
    done(new AppError(503, 'shutting_down', 'the server is shutting down; retry shortly', { headers: { connection: 'close', 'retry-after': '1' } }))
  })

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(errorBody(404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`))
  })
}
