import { GENESIS_HASH, type AuditEvent, type AuditHasher } from '../../audit/chain.js'
import type { SqliteDatabase } from './db.js'

/**
 * Appends events to the audit chain on one connection: the serving connection, inside the
 * transaction of the change it records, and the audit writer's, for grouped reads. Call only
 * inside a write transaction, so the previous hash cannot move meanwhile.
 */
export function createChainAppender (db: SqliteDatabase, hash: AuditHasher): (events: readonly AuditEvent[]) => void {
  const lastRow = db.prepare('SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1')
  const insertRow = db.prepare(`INSERT INTO audit_log (id, created_at, event_type, outcome, key_id, team_id, team_name, secret_name, client_ip, request_id, detail, prev_hash, hash)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
  return events => {
    if (events.length === 0) return
    const last = lastRow.get() as { id: number, hash: Buffer } | undefined
    let id = last?.id ?? 0
    let prevHash = last?.hash ?? GENESIS_HASH
    for (const event of events) {
      id++
      const rowHash = hash(id, event, prevHash)
      // positional: binding 13 named parameters costs more than the insert itself
      insertRow.run(id, event.createdAt, event.eventType, event.outcome, event.keyId, event.teamId, event.teamName,
        event.secretName, event.clientIp, event.requestId, event.detail, prevHash, rowHash)
      prevHash = rowHash
    }
  }
}
