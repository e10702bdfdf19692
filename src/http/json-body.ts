import { isUtf8 } from 'node:buffer'
import type { FastifyInstance } from 'fastify'
import secureJson from 'secure-json-parse'
import { AppError, errors } from '../errors.js'

const JSON_TYPE = /^application\/([\w.+-]+\+)?json\b/i

/**
 * Bodies are JSON whatever the Content-Type says: Baseten's documented curl example sends
 * `--data '{...}'` with no JSON header (so curl says x-www-form-urlencoded), and it must work as
 * written. A body that is not JSON at all is 415; broken JSON sent as JSON is 400. The parse
 * error is never passed on: V8's message quotes the input, which may hold a secret value.
 */
export function acceptJsonWhateverTheContentType (app: FastifyInstance, bodyLimit: number): void {
  // Fastify refuses a Content-Type it cannot parse before any parser runs; only "is it JSON"
  // matters here, so every type, however odd (a list, bad parameters), becomes one Fastify reads.
  app.addHook('onRequest', (request, _reply, done) => {
    // a request no route serves is a 404 before its body is read (not a 413 or 415)
    if (request.is404) return done(new AppError(404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`))
    const type = request.headers['content-type']
    if (type !== undefined) request.headers['content-type'] = JSON_TYPE.test(type) ? 'application/json' : 'application/octet-stream'
    done()
  })
  // Routes that read query parameters take each once; a repeated one would reach the handler as
  // an array. Checked after authentication, so a request without a key is still a 401.
  app.addHook('preValidation', (request, _reply, done) => {
    if (request.routeOptions.config.query !== true) return done()
    for (const [name, value] of Object.entries(request.query as Record<string, unknown>)) {
      if (Array.isArray(value)) return done(new AppError(400, 'invalid_query', `the query parameter "${name}" may be given only once`))
    }
    done()
  })
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
    const text = (body as Buffer).toString('utf8')
    if (text.trim() === '') return done(null, undefined)
    try {
      const parsed: unknown = secureJson.parse(text, undefined, { protoAction: 'remove', constructorAction: 'remove' })
      // bytes that are not UTF-8 decode to U+FFFD: stored, the value would not be the one sent
      done(isUtf8(body as Buffer) ? null : errors.notUtf8('body'), parsed)
    } catch {
      const claimsJson = JSON_TYPE.test(request.headers['content-type'] ?? '')
      done(claimsJson ? errors.invalidJson() : errors.unsupportedMediaType(), undefined)
    }
  })
}
