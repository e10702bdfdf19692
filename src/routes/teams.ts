import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { teamListSchema } from '../schemas/secrets.js'
import type { SecretsService } from '../services/secrets-service.js'
import type { TeamsService } from '../services/teams-service.js'
import { parseBody, withErrors } from './secrets.js'

const teamSchema = {
  type: 'object',
  required: ['id', 'name', 'created_at'],
  properties: { id: { type: 'string' }, name: { type: 'string' }, created_at: { type: 'string', format: 'date-time' } }
} as const

const CreateTeamBody = z.object({ name: z.string({ error: 'name is required and must be a string' }) }, { error: 'the body must be a JSON object with "name"' })

/**
 * GET /v1/teams is what Baseten's CLI calls to turn `--team <name>` into an id, so any valid key
 * may list the teams it can use. Creating and deleting teams needs `teams:manage`.
 */
export default async function teamRoutes (app: FastifyInstance, options: { secrets: SecretsService, teams: TeamsService }): Promise<void> {
  app.get('/', { schema: { response: withErrors(teamListSchema) }, config: { operationId: 'listTeams', scope: null } }, async request => {
    const teams = await options.secrets.visibleTeams(request.principal)
    return { teams: teams.map(team => ({ id: team.id, name: team.name })) }
  })

  app.post('/', { schema: { response: withErrors(teamSchema) }, config: { operationId: 'createTeam', scope: 'teams:manage' } }, async request => {
    const body = parseBody(CreateTeamBody, request.body, '"name"')
    const team = await options.teams.create(request.principal, body.name)
    return { id: team.id, name: team.name, created_at: team.createdAt }
  })

  app.delete<{ Params: { team_id: string } }>('/:team_id', { schema: { response: withErrors(teamSchema) }, config: { operationId: 'deleteTeam', scope: 'teams:manage' } }, async request => {
    const team = await options.teams.delete(request.principal, request.params.team_id)
    return { id: team.id, name: team.name, created_at: team.createdAt }
  })
}
