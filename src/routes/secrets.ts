import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AppError, errors } from '../errors.js'
import { etag, expectedVersion } from '../http/preconditions.js'
import {
  errorSchema, RollbackBody, secretListSchema, secretSchema, secretValueSchema, tombstoneSchema, UpsertSecretBody,
  versionListSchema
} from '../schemas/secrets.js'
import { MAX_PAGE_SIZE, type SecretsService } from '../services/secrets-service.js'
import type { SecretRecord } from '../store/store.js'
import { routeConfig, teamRefOf, type TeamScopeOptions } from './team-scope.js'

export interface SecretRoutesOptions extends TeamScopeOptions {
  secrets: SecretsService
}

interface NameParams {
  secret_name: string
}

export function toSecretResponse (secret: SecretRecord) {
  return {
    id: secret.id,
    created_at: secret.createdAt,
    updated_at: secret.updatedAt,
    name: secret.name,
    team_name: secret.teamName,
    version: secret.version,
    fingerprint: secret.fingerprint
  }
}

export const withErrors = (ok: object) => ({ 200: ok, '4xx': errorSchema, '5xx': errorSchema })

/** Parses the body with a zod schema into a 400 that names each problem, never echoing values. */
export function parseBody<T> (schema: { safeParse (data: unknown): { success: true, data: T } | { success: false, error: { issues: { message: string }[] } } }, body: unknown, what: string): T {
  if (body === undefined) throw errors.invalidBody(`the body must be a JSON object with ${what}`)
  const parsed = schema.safeParse(body)
  if (!parsed.success) throw errors.invalidBody(parsed.error.issues.map(issue => issue.message).join('; '))
  return parsed.data
}

function positiveInteger (text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1) throw new AppError(400, 'invalid_query', `${name} must be a whole number from 1 to 999999999`)
  return Number(text)
}

function answerWithTag (reply: FastifyReply, secret: { version: number }): void {
  reply.header('etag', etag(secret.version))
}

/**
 * Baseten's secrets routes, the reads a store needs, and version history. The same plugin serves
 * /v1/secrets and /v1/teams/{team_id}/secrets; only where the team comes from differs.
 */
export default async function secretRoutes (app: FastifyInstance, options: SecretRoutesOptions): Promise<void> {
  const { secrets, teamScoped } = options
  const teamOf = (request: FastifyRequest) => teamRefOf(request, teamScoped)
  const serializedLists = new WeakMap<readonly SecretRecord[], Buffer>()

  app.post('/', { schema: { response: withErrors(secretSchema) }, config: routeConfig('upsertSecret', teamScoped, 'secrets:write') }, async (request, reply) => {
    const body = parseBody(UpsertSecretBody, request.body, '"name" and "value"')
    const expected = expectedVersion(request, { allowIfNoneMatch: true })
    const { secret } = await secrets.upsert(request.principal, teamOf(request), body.name, body.value, expected)
    answerWithTag(reply, secret)
    return toSecretResponse(secret)
  })

  app.get<{ Querystring: { limit?: string, cursor?: string, prefix?: string } }>('/', {
    schema: { response: withErrors(secretListSchema) }, config: routeConfig('listSecrets', teamScoped, 'secrets:list', { query: true })
  }, async (request, reply) => {
    const { limit, cursor, prefix } = request.query
    const teamRef = teamScoped ? teamOf(request) : 'all'
    // Baseten's list has no parameters and returns everything; asking for a page opts in to cursors.
    if (limit === undefined && cursor === undefined && prefix === undefined) {
      const list = await secrets.list(request.principal, teamRef)
      // the store hands out the same array until its data changes; so is its JSON, kept as bytes
      // (a 100-secret list is ~25 KB: encoding it again for every answer shows in a profile)
      let body = serializedLists.get(list)
      if (body === undefined) {
        body = Buffer.from(reply.serialize({ secrets: list.map(toSecretResponse) }) as string)
        serializedLists.set(list, body)
      }
      return await reply.type('application/json; charset=utf-8').send(body)
    }
    const size = positiveInteger(limit, 'limit') ?? 100
    if (size > MAX_PAGE_SIZE) throw new AppError(400, 'invalid_query', `limit must be at most ${MAX_PAGE_SIZE}`)
    if (prefix !== undefined && prefix.length > 253) throw new AppError(400, 'invalid_query', 'prefix must be at most 253 characters, as names are')
    if (prefix !== undefined && !/^[-._a-zA-Z0-9]*$/.test(prefix)) throw new AppError(400, 'invalid_query', 'prefix may hold only the characters of secret names')
    const page = await secrets.listPage(request.principal, teamRef, { limit: size, cursor, prefix })
    return { secrets: page.secrets.map(toSecretResponse), next_cursor: page.nextCursor }
  })

  app.get<{ Params: NameParams }>('/:secret_name', { schema: { response: withErrors(secretSchema) }, config: routeConfig('getSecret', teamScoped, 'secrets:list') }, async (request, reply) => {
    const secret = await secrets.get(request.principal, teamOf(request), request.params.secret_name)
    answerWithTag(reply, secret)
    return toSecretResponse(secret)
  })

  app.get<{ Params: NameParams, Querystring: { version?: string } }>('/:secret_name/value', {
    schema: { response: withErrors(secretValueSchema) }, config: routeConfig('getSecretValue', teamScoped, 'secrets:read', { query: true })
  }, async (request, reply) => {
    const version = positiveInteger(request.query.version, 'version')
    const { secret, value } = await secrets.readValue(request.principal, teamOf(request), request.params.secret_name, version)
    if (version === undefined) answerWithTag(reply, secret)
    return { name: secret.name, value, version: version ?? secret.version }
  })

  app.get<{ Params: NameParams }>('/:secret_name/versions', { schema: { response: withErrors(versionListSchema) }, config: routeConfig('listSecretVersions', teamScoped, 'secrets:list') }, async (request, reply) => {
    const { secret, versions } = await secrets.versions(request.principal, teamOf(request), request.params.secret_name)
    answerWithTag(reply, secret)
    return {
      versions: versions.map(v => ({
        version: v.version,
        created_at: v.createdAt,
        created_by: v.createdBy,
        current: v.version === secret.version,
        fingerprint: v.fingerprint
      }))
    }
  })

  app.post<{ Params: NameParams }>('/:secret_name/rollback', { schema: { response: withErrors(secretSchema) }, config: routeConfig('rollbackSecret', teamScoped, 'secrets:write') }, async (request, reply) => {
    const body = parseBody(RollbackBody, request.body, '"version"')
    const expected = expectedVersion(request)
    const { secret } = await secrets.rollback(request.principal, teamOf(request), request.params.secret_name, body.version, expected)
    answerWithTag(reply, secret)
    return toSecretResponse(secret)
  })

  app.delete<{ Params: NameParams }>('/:secret_name', { schema: { response: withErrors(tombstoneSchema) }, config: routeConfig('deleteSecret', teamScoped, 'secrets:delete') }, async request => {
    const deleted = await secrets.delete(request.principal, teamOf(request), request.params.secret_name, expectedVersion(request))
    return { name: deleted.name }
  })
}
