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
  // matters here, so every other type, however odd, reaches the catch-all parser.
  app.addHook('onRequest', (request, _reply, done) => {
    // every query parameter is a single value; a repeated one would reach handlers as an array
    for (const [name, value] of Object.entries(request.query as Record<string, unknown>)) {
      if (Array.isArray(value)) return done(new AppError(400, 'invalid_query', `the query parameter "${name}" may be given only once`))
    }
    const type = request.headers['content-type']
    if (type !== undefined && !JSON_TYPE.test(type)) request.headers['content-type'] = 'application/octet-stream'
    done()
  })
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
    const text = (body as Buffer).toString('utf8')
    if (text.trim() === '') return done(null, undefined)
    try {
      done(null, secureJson.parse(text, undefined, { protoAction: 'remove', constructorAction: 'remove' }))
    } catch {
      const claimsJson = JSON_TYPE.test(request.headers['content-type'] ?? '')
      done(claimsJson ? errors.invalidJson() : errors.unsupportedMediaType(), undefined)
    }
  })
}
