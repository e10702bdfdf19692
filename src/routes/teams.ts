import type { FastifyInstance } from 'fastify'
import { errorSchema, teamListSchema } from '../schemas/secrets.js'
import type { SecretsService } from '../services/secrets-service.js'

/** GET /v1/teams: what Baseten's CLI calls to turn `--team <name>` into an id. */
export default async function teamRoutes (app: FastifyInstance, options: { secrets: SecretsService }): Promise<void> {
  app.get('/', { schema: { response: { 200: teamListSchema, '4xx': errorSchema, '5xx': errorSchema } }, config: { operationId: 'listTeams' } }, async request => {
    const teams = await options.secrets.visibleTeams(request.principal)
    return { teams: teams.map(team => ({ id: team.id, name: team.name })) }
  })
}
