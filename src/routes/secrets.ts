import type { FastifyInstance, FastifyRequest } from 'fastify'
import { errors } from '../errors.js'
import {
  errorSchema, secretListSchema, secretSchema, secretValueSchema, tombstoneSchema, UpsertSecretBody
} from '../schemas/secrets.js'
import type { SecretsService, TeamRef } from '../services/secrets-service.js'
import type { SecretRecord } from '../store/store.js'

export interface SecretRoutesOptions {
  secrets: SecretsService
  /** true under /v1/teams/{team_id}/secrets, false under /v1/secrets (the caller's primary team) */
  teamScoped: boolean
}

interface Params {
  team_id?: string
  secret_name: string
}

export function toSecretResponse (secret: SecretRecord) {
  return {
    id: secret.id,
    created_at: secret.createdAt,
    updated_at: secret.updatedAt,
    name: secret.name,
    team_name: secret.teamName,
    version: secret.version
  }
}

const withErrors = (ok: object) => ({ 200: ok, '4xx': errorSchema, '5xx': errorSchema })

/**
 * Baseten's secrets routes, and reads of metadata and values that a store needs. The same plugin
 * serves /v1/secrets and /v1/teams/{team_id}/secrets; only where the team comes from differs.
 */
export default async function secretRoutes (app: FastifyInstance, options: SecretRoutesOptions): Promise<void> {
  const { secrets, teamScoped } = options
  const teamOf = (request: FastifyRequest): TeamRef => teamScoped ? (request.params as Params).team_id : undefined
  const suffix = teamScoped ? 'TeamSecret' : 'Secret'

  app.post('/', { schema: { response: withErrors(secretSchema) }, config: { operationId: `upsert${suffix}` } }, async request => {
    if (request.body === undefined) throw errors.invalidBody('the body must be a JSON object with "name" and "value"')
    const parsed = UpsertSecretBody.safeParse(request.body)
    if (!parsed.success) throw errors.invalidBody(parsed.error.issues.map(issue => issue.message).join('; '))
    return toSecretResponse(await secrets.upsert(request.principal, teamOf(request), parsed.data.name, parsed.data.value))
  })

  app.get('/', { schema: { response: withErrors(secretListSchema) }, config: { operationId: `list${suffix}s` } }, async request => {
    const list = await secrets.list(request.principal, teamScoped ? teamOf(request) : 'all')
    return { secrets: list.map(toSecretResponse) }
  })

  app.get<{ Params: Params }>('/:secret_name', { schema: { response: withErrors(secretSchema) }, config: { operationId: `get${suffix}` } }, async request => {
    return toSecretResponse(await secrets.get(request.principal, teamOf(request), request.params.secret_name))
  })

  app.get<{ Params: Params }>('/:secret_name/value', { schema: { response: withErrors(secretValueSchema) }, config: { operationId: `get${suffix}Value` } }, async request => {
    const { secret, value } = await secrets.readValue(request.principal, teamOf(request), request.params.secret_name)
    return { name: secret.name, value }
  })

  app.delete<{ Params: Params }>('/:secret_name', { schema: { response: withErrors(tombstoneSchema) }, config: { operationId: `delete${suffix}` } }, async request => {
    const deleted = await secrets.delete(request.principal, teamOf(request), request.params.secret_name)
    return { name: deleted.name }
  })
}
