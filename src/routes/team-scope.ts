import type { FastifyRequest } from 'fastify'
import type { Scope } from '../services/principal.js'
import type { TeamRef } from '../services/secrets-service.js'

/**
 * Every secrets route exists twice: under /v1/... for the caller's primary team (all teams for
 * lists), and under /v1/teams/{team_id}/... for one team. The plugins are registered once per
 * prefix with this flag.
 */
export interface TeamScopeOptions {
  teamScoped: boolean
}

export function teamRefOf (request: FastifyRequest, teamScoped: boolean): TeamRef {
  return teamScoped ? (request.params as { team_id: string }).team_id : undefined
}

export function operationName (base: string, teamScoped: boolean): string {
  return teamScoped ? base.replace(/Secret/, 'TeamSecret').replace(/Trash/, 'TeamTrash') : base
}

/** Route config: the operationId (as in openapi.yaml) and the scope a key needs. */
export function routeConfig (base: string, teamScoped: boolean, scope: Scope | null, options: { query?: boolean } = {}) {
  return { operationId: operationName(base, teamScoped), scope, ...options }
}
