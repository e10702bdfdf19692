import { isUtf8 } from 'node:buffer'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { AppError, errors } from '../errors.js'
import { importResultSchema, resolveResultSchema, ResolveBody } from '../schemas/secrets.js'
import type { SecretsService } from '../services/secrets-service.js'
import { SECRET_FILE_CONTENT_TYPES, SECRET_FILE_FORMATS, type SecretFileFormat } from '../services/secret-file-formats.js'
import type { TransferService } from '../services/transfer-service.js'
import { etag } from '../http/preconditions.js'
import { parseBody, toSecretResponse, withErrors } from './secrets.js'
import { routeConfig, teamRefOf, type TeamScopeOptions } from './team-scope.js'

export interface SecretFileRoutesOptions extends TeamScopeOptions {
  secrets: SecretsService
  transfer: TransferService
  bodyLimit: number
}

function formatOf (format: string | undefined): SecretFileFormat {
  if (format === undefined || !(SECRET_FILE_FORMATS as readonly string[]).includes(format)) {
    throw new AppError(400, 'invalid_format', `format must be one of ${SECRET_FILE_FORMATS.join(', ')}`)
  }
  return format as SecretFileFormat
}

/**
 * Many secrets at once: resolve (values by name, one round trip), import and export of files.
 */
export default async function secretFileRoutes (app: FastifyInstance, options: SecretFileRoutesOptions): Promise<void> {
  const { secrets, transfer, teamScoped } = options
  const teamOf = (request: FastifyRequest) => teamRefOf(request, teamScoped)

  app.post('/resolve', { schema: { response: withErrors(resolveResultSchema) }, config: routeConfig('resolveSecrets', teamScoped, 'secrets:read') }, async request => {
    const body = parseBody(ResolveBody, request.body, '"names"')
    return await secrets.resolve(request.principal, teamOf(request), body.names)
  })

  app.get<{ Querystring: { format?: string } }>('/export', { config: routeConfig('exportSecrets', teamScoped, 'secrets:read', { query: true }) }, async (request, reply) => {
    // `export` is also a valid secret name: without a format this reads that secret's metadata.
    if (request.query.format === undefined) {
      const secret = await secrets.get(request.principal, teamOf(request), 'export')
      reply.header('etag', etag(secret.version))
      return toSecretResponse(secret)
    }
    const format = formatOf(request.query.format)
    const text = await transfer.exportFile(request.principal, teamOf(request), format)
    return reply.type(SECRET_FILE_CONTENT_TYPES[format]).send(text)
  })

  // The import body is the file itself, so this route reads it as text, not JSON.
  await app.register(async files => {
    files.removeAllContentTypeParsers()
    files.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.bodyLimit }, (_request, body, done) => {
      // read as a string, bytes that are not UTF-8 would be imported as U+FFFD
      if (!isUtf8(body as Buffer)) return done(errors.notUtf8('file'), undefined)
      done(null, (body as Buffer).toString('utf8'))
    })
    files.post<{ Querystring: { format?: string, dry_run?: string } }>('/import', {
      schema: { response: withErrors(importResultSchema) }, config: routeConfig('importSecrets', teamScoped, 'secrets:write', { query: true })
    }, async request => {
      const format = formatOf(request.query.format)
      const dryRun = request.query.dry_run
      if (dryRun !== undefined && dryRun !== 'true' && dryRun !== 'false') throw new AppError(400, 'invalid_query', 'dry_run must be true or false')
      const text = typeof request.body === 'string' ? request.body : ''
      return await transfer.importFile(request.principal, teamOf(request), format, text, dryRun === 'true')
    })
  })
}
