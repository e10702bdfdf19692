import type { AuditRow } from '../../audit/chain.js'
import { toAuditRow, type AuditLogRow } from '../rows.js'
import type { AuditQuery } from '../store.js'
import type { SqliteDatabase } from './db.js'

/**
 * Entries per block of the audit log's secret and key indexes: they are keyed `(id >> 12, …)`
 * (migrations/sqlite/0004_audit_blocks.sql), and a query must spell the block as `id >> 12` for
 * SQLite to use them.
 */
export const AUDIT_BLOCK_SIZE = 4096

/** The WHERE fragments of a query's filters and their bound values; values are never spliced in. */
function filtersOf (query: AuditQuery): { where: string[], params: Record<string, unknown> } {
  const where: string[] = []
  const params: Record<string, unknown> = {}
  if (query.beforeId !== undefined) { where.push('id < @beforeId'); params.beforeId = query.beforeId }
  if (query.since !== undefined) { where.push('created_at >= @since'); params.since = query.since }
  if (query.until !== undefined) { where.push('created_at < @until'); params.until = query.until }
  if (query.eventType !== undefined) { where.push('event_type = @eventType'); params.eventType = query.eventType }
  if (query.secretName !== undefined) { where.push('secret_name = @secretName'); params.secretName = query.secretName }
  if (query.keyId !== undefined) { where.push('key_id = @keyId'); params.keyId = query.keyId }
  if (query.teamIds !== null) { where.push('team_id IN (SELECT value FROM json_each(@teamIds))'); params.teamIds = JSON.stringify(query.teamIds) }
  return { where, params }
}

/** The audit log's queries, newest entry first. */
export function createAuditQueries (db: SqliteDatabase) {
  // two subqueries: min and max in one SELECT scan the whole table, each alone reads one end
  const idRange = db.prepare('SELECT (SELECT min(id) FROM audit_log) AS first, (SELECT max(id) FROM audit_log) AS last')

  /**
   * By secret or key: one indexed look-up per block, newest block first, until the page is full
   * or the log's first block is done: a secret with no entries costs a look-up per 4,096 entries.
   */
  function listByBlock (query: AuditQuery, where: string[], params: Record<string, unknown>): AuditLogRow[] {
    const { first, last } = idRange.get() as { first: number | null, last: number | null }
    if (first === null || last === null) return []
    const top = query.beforeId === undefined ? last : Math.min(last, query.beforeId - 1)
    const statement = db.prepare(`SELECT * FROM audit_log WHERE ${[...where, '(id >> 12) = @block'].join(' AND ')}
      ORDER BY id DESC LIMIT @limit`)
    const rows: AuditLogRow[] = []
    for (let block = Math.floor(top / AUDIT_BLOCK_SIZE); block >= Math.floor(first / AUDIT_BLOCK_SIZE) && rows.length < query.limit; block--) {
      rows.push(...statement.all({ ...params, block, limit: query.limit - rows.length }) as AuditLogRow[])
    }
    return rows
  }

  return {
    list (query: AuditQuery): AuditRow[] {
      const { where, params } = filtersOf(query)
      if (query.secretName !== undefined || query.keyId !== undefined) return listByBlock(query, where, params).map(toAuditRow)
      const rows = db.prepare(`SELECT * FROM audit_log ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT @limit`)
        .all({ ...params, limit: query.limit }) as AuditLogRow[]
      return rows.map(toAuditRow)
    }
  }
}
