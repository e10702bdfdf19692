import { createHmac, timingSafeEqual } from 'node:crypto'

/** One audit record as written: who did what to which secret, and how it ended. Never a value. */
export interface AuditEvent {
  createdAt: string
  eventType: string
  outcome: 'success' | 'denied' | 'failure'
  keyId: string | null
  teamId: string | null
  teamName: string | null
  secretName: string | null
  clientIp: string | null
  requestId: string | null
  detail: string | null
}

export interface AuditRow extends AuditEvent {
  id: number
  prevHash: Buffer
  hash: Buffer
}

type Nullable = string | null
/** An event's fields as a list, in the one order both the chain's hash and waiting groups use. */
export type AuditEventValues = [createdAt: string, eventType: string, outcome: AuditEvent['outcome'], keyId: Nullable,
  teamId: Nullable, teamName: Nullable, secretName: Nullable, clientIp: Nullable, requestId: Nullable, detail: Nullable]

export function auditEventValues (event: AuditEvent): AuditEventValues {
  return [event.createdAt, event.eventType, event.outcome, event.keyId, event.teamId, event.teamName,
    event.secretName, event.clientIp, event.requestId, event.detail]
}

export function auditEventFromValues ([createdAt, eventType, outcome, keyId, teamId, teamName, secretName, clientIp, requestId, detail]: AuditEventValues): AuditEvent {
  return { createdAt, eventType, outcome, keyId, teamId, teamName, secretName, clientIp, requestId, detail }
}

/** The hash before the first row. */
export const GENESIS_HASH = Buffer.alloc(32)

export type AuditHasher = (id: number, event: AuditEvent, prevHash: Buffer) => Buffer

/**
 * Each row's hash covers its id, its content and the previous row's hash, keyed with the audit
 * key from the keyring: a row edited, deleted or moved in the database file breaks every hash
 * after it, and without the key the chain cannot be recomputed to hide that.
 */
export function createAuditHasher (key: Uint8Array): AuditHasher {
  return (id, event, prevHash) => createHmac('sha256', key)
    .update(JSON.stringify([id, ...auditEventValues(event)]))
    .update(prevHash)
    .digest()
}

export interface ChainVerification {
  valid: boolean
  entries: number
  first_invalid_id?: number
  head: { id: number, hash: string } | null
}

/**
 * Walks the chain in id order. The newest rows can be cut off the end without trace; the head
 * returned here is what to keep elsewhere and compare later.
 */
export async function verifyChain (hasher: AuditHasher, pages: AsyncIterable<AuditRow[]>): Promise<ChainVerification> {
  let previous: Buffer = GENESIS_HASH
  let entries = 0
  let head: ChainVerification['head'] = null
  for await (const rows of pages) {
    for (const row of rows) {
      entries++
      const expected = hasher(row.id, row, previous)
      if (!row.prevHash.equals(previous) || row.hash.length !== expected.length || !timingSafeEqual(row.hash, expected)) {
        return { valid: false, entries, first_invalid_id: row.id, head }
      }
      previous = row.hash
      head = { id: row.id, hash: row.hash.toString('hex') }
    }
  }
  return { valid: true, entries, head }
}
