import { eventFrom, type AuditLog } from '../audit/audit-log.js'
import { randomBase62 } from '../crypto/api-keys.js'
import { AppError, errors } from '../errors.js'
import type { Store, TeamRecord } from '../store/store.js'
import type { Principal } from './principal.js'
import { DEFAULT_TEAM_NAME } from './secrets-service.js'

const TEAM_NAME = /^[-._a-zA-Z0-9]{1,64}$/

export function createTeamsService (deps: { store: Store, audit: AuditLog, now?: () => Date }) {
  const { store } = deps
  const now = deps.now ?? (() => new Date())

  return {
    /** Only a key that holds every team may make one: a team-bound key could not use it anyway. */
    async create (principal: Principal, name: string): Promise<TeamRecord> {
      if (!TEAM_NAME.test(name)) throw errors.invalidName('a team name is 1 to 64 letters, digits, "-", "_" or "."')
      if (principal.teams !== null) throw new AppError(403, 'team_bound_key', 'a key bound to teams cannot create teams')
      const team = await store.createTeam({ id: `team_${randomBase62(10)}`, name, createdAt: now().toISOString() }, eventFrom(principal, 'TEAM_CREATED', {}, now()))
      if (team === undefined) throw new AppError(409, 'team_exists', `a team named "${name}" exists`)
      return team
    },

    async delete (principal: Principal, id: string): Promise<TeamRecord> {
      const team = await store.findTeamById(id)
      if (team === undefined || (principal.teams !== null && !principal.teams.includes(id))) throw errors.teamNotFound(id)
      if (team.name === DEFAULT_TEAM_NAME) throw new AppError(409, 'default_team', 'the default team cannot be deleted')
      const deleted = await store.deleteTeam(id, eventFrom(principal, 'TEAM_DELETED', {}, now()))
      if (deleted === 'in_use') throw new AppError(409, 'team_in_use', `team "${team.name}" still holds secrets (the trash included) or API keys`)
      if (deleted === undefined) throw errors.teamNotFound(id)
      return deleted
    }
  }
}

export type TeamsService = ReturnType<typeof createTeamsService>
