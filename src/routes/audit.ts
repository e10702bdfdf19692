import type { FastifyInstance } from 'fastify'
import { parseAuditCursor, type AuditLog } from '../audit/audit-log.js'
import type { AuditRow } from '../audit/chain.js'
import { AppError } from '../errors.js'
import { parseDateTime } from '../services/date-time.js'
import { withErrors } from './secrets.js'

const entrySchema = {
  type: 'object',
  required: ['id', 'created_at', 'event_type', 'outcome', 'key_id', 'team_id', 'team_name', 'secret_name', 'client_ip', 'request_id', 'detail'],
  properties: {
    id: { type: 'integer' },
    created_at: { type: 'string', format: 'date-time' },
    event_type: { type: 'string' },
    outcome: { type: 'string' },
    key_id: { type: ['string', 'null'] },
    team_id: { type: ['string', 'null'] },
    team_name: { type: ['string', 'null'] },
    secret_name: { type: ['string', 'null'] },
    client_ip: { type: ['string', 'null'] },
    request_id: { type: ['string', 'null'] },
    detail: { type: ['string', 'null'] }
  }
} as const

const listSchema = {
  type: 'object',
  required: ['audit_logs', 'next_cursor'],
  properties: { audit_logs: { type: 'array', items: entrySchema }, next_cursor: { type: ['string', 'null'] } }
} as const

const verifySchema = {
  type: 'object',
  required: ['valid', 'entries', 'head'],
  properties: {
    valid: { type: 'boolean' },
    entries: { type: 'integer' },
    first_invalid_id: { type: 'integer' },
    head: { type: ['object', 'null'], properties: { id: { type: 'integer' }, hash: { type: 'string' } } }
  }
} as const

interface AuditQuery {
  since?: string
  until?: string
  event_type?: string
  action?: string
  secret_name?: string
  key_id?: string
  limit?: string
  cursor?: string
}

function dateTime (text: string | undefined, name: string): string | undefined {
  if (text === undefined) return undefined
  const at = parseDateTime(text)
  if (!Number.isFinite(at)) throw new AppError(400, 'invalid_query', `${name} must be an ISO 8601 date-time`)
  return new Date(at).toISOString()
}

function toEntry (row: AuditRow) {
  return {
    id: row.id,
    created_at: row.createdAt,
    event_type: row.eventType,
    outcome: row.outcome,
    key_id: row.keyId,
    team_id: row.teamId,
    team_name: row.teamName,
    secret_name: row.secretName,
    client_ip: row.clientIp,
    request_id: row.requestId,
    detail: row.detail
  }
}

/** The audit log, newest first, and the check of its hash chain. Needs `audit:read`. */
export default async function auditRoutes (app: FastifyInstance, options: { audit: AuditLog }): Promise<void> {
  app.get<{ Querystring: AuditQuery }>('/', { schema: { response: withErrors(listSchema) }, config: { operationId: 'listAuditLogs', scope: 'audit:read', query: true } }, async request => {
    const q = request.query
    const limit = q.limit === undefined ? 100 : /^\d{1,4}$/.test(q.limit) ? Number(q.limit) : NaN
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new AppError(400, 'invalid_query', 'limit must be a whole number from 1 to 1000')
    const { entries, nextCursor } = await options.audit.list({
      beforeId: parseAuditCursor(q.cursor),
      since: dateTime(q.since, 'since'),
      until: dateTime(q.until, 'until'),
      eventType: q.event_type ?? q.action,
      secretName: q.secret_name,
      keyId: q.key_id,
      // a key bound to teams sees only its teams' entries
      teamIds: request.principal.teams,
      limit
    })
    return { audit_logs: entries.map(toEntry), next_cursor: nextCursor }
  })

  // The chain covers every team, so only a key that holds every team may check it.
  app.get('/verify', { schema: { response: withErrors(verifySchema) }, config: { operationId: 'verifyAuditLogs', scope: 'audit:read' } }, async request => {
    if (request.principal.teams !== null) throw new AppError(403, 'team_bound_key', 'the chain covers every team: verify it with a key that is not bound to teams')
    return await options.audit.verify()
  })
}
