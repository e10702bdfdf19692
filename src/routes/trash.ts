import type { FastifyInstance, FastifyRequest } from 'fastify'
import { secretSchema, tombstoneSchema, trashListSchema } from '../schemas/secrets.js'
import type { SecretsService } from '../services/secrets-service.js'
import { toSecretResponse, withErrors } from './secrets.js'
import { routeConfig, teamRefOf, type TeamScopeOptions } from './team-scope.js'

interface NameParams {
  secret_name: string
}

/**
 * The trash: deleted secrets wait here, with all their versions, for the recovery window
 * (TROVE_RECOVERY_DAYS). Served at /v1/trash and /v1/teams/{team_id}/trash.
 */
export default async function trashRoutes (app: FastifyInstance, options: TeamScopeOptions & { secrets: SecretsService }): Promise<void> {
  const { secrets, teamScoped } = options
  const teamOf = (request: FastifyRequest) => teamRefOf(request, teamScoped)

  app.get('/', { schema: { response: withErrors(trashListSchema) }, config: routeConfig('listTrash', teamScoped, 'secrets:list') }, async request => {
    const trashed = await secrets.listTrash(request.principal, teamScoped ? teamOf(request) : 'all')
    return {
      secrets: trashed.map(secret => ({
        id: secret.id,
        name: secret.name,
        team_name: secret.teamName,
        deleted_at: secret.deletedAt,
        purge_at: secret.purgeAt,
        version: secret.version,
        fingerprint: secret.fingerprint
      }))
    }
  })

  app.post<{ Params: NameParams }>('/:secret_name/restore', { schema: { response: withErrors(secretSchema) }, config: routeConfig('restoreTrash', teamScoped, 'secrets:write') }, async (request, reply) => {
    const secret = await secrets.restore(request.principal, teamOf(request), request.params.secret_name)
    reply.header('etag', `"${secret.version}"`)
    return toSecretResponse(secret)
  })

  app.delete<{ Params: NameParams }>('/:secret_name', { schema: { response: withErrors(tombstoneSchema) }, config: routeConfig('destroyTrash', teamScoped, 'secrets:delete') }, async request => {
    return { name: await secrets.destroy(request.principal, teamOf(request), request.params.secret_name) }
  })
}
