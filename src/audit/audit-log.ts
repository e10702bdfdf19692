import { AppError } from '../errors.js'
import type { Principal } from '../services/principal.js'
import type { AuditQuery, Store } from '../store/store.js'
import { createPendingEvents } from './pending-events.js'
import { createAuditHasher, verifyChain, type AuditEvent, type AuditRow, type ChainVerification } from './chain.js'

export interface AuditLogOptions {
  store: Store
  auditKey: Uint8Array
  now?: () => Date
  /** record reads of values (TROVE_AUDIT_READS); changes are always recorded */
  recordReads?: boolean
  /** how long grouped records wait before they are written */
  flushMs?: number
}

/** A field given for the event, else its default (a field given as null stays null). */
function given<T> (value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value
}

/**
 * What an event says about who asked: the key, the request and the address. Every property is
 * written out rather than spread from `fields`: reads create one per request, and spread copies
 * were promoted out of V8's young generation (see the principal in http/authenticate.ts).
 */
export function eventFrom (principal: Principal | undefined, eventType: string, fields: Partial<AuditEvent> = {}, now = new Date()): AuditEvent {
  return {
    createdAt: given(fields.createdAt, now.toISOString()),
    eventType: given(fields.eventType, eventType),
    outcome: given(fields.outcome, 'success'),
    keyId: given(fields.keyId, principal?.keyId ?? null),
    teamId: given(fields.teamId, null),
    teamName: given(fields.teamName, null),
    secretName: given(fields.secretName, null),
    clientIp: given(fields.clientIp, principal?.clientIp ?? null),
    requestId: given(fields.requestId, principal?.requestId ?? null),
    detail: given(fields.detail, null)
  }
}

const GROUP_LIMIT = 2000

/**
 * The audit log. Changes are written by the store in the transaction that makes them; reads and
 * refused requests are grouped here and written together, so a read never waits for its own
 * disk sync. A crash can lose the records of the last `flushMs` of reads, never a change's.
 */
export function createAuditLog (options: AuditLogOptions) {
  const { store } = options
  const hasher = createAuditHasher(options.auditKey)
  store.setAuditHasher(hasher)
  const recordReads = options.recordReads ?? true
  const flushMs = options.flushMs ?? 200
  const pending = createPendingEvents()
  // groups the store refused, written first with the next group
  let refused: AuditEvent[] = []
  let timer: NodeJS.Timeout | undefined
  let writing: Promise<void> = Promise.resolve()

  function flush (): Promise<void> {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    if (pending.size === 0 && refused.length === 0) return writing
    const group = refused.length === 0 ? pending.take() : [...refused, ...pending.take()]
    refused = []
    writing = writing.then(() => store.appendAudit(group)).catch(() => {
      // a failed group is kept, in order, to be written with the next one
      refused = [...refused, ...group]
    })
    return writing
  }

  function enqueue (event: AuditEvent): void {
    pending.push(event)
    if (pending.size >= GROUP_LIMIT) flush()
    else timer ??= setTimeout(flush, flushMs).unref()
  }

  return {
    /** A read of a value (or of many): grouped. */
    recordRead (event: AuditEvent): void {
      if (recordReads) enqueue(event)
    },
    /** A refused request (bad key, missing scope): grouped; outcome comes with the event. */
    recordRefusal (event: AuditEvent): void {
      enqueue(event)
    },
    flush,

    async list (query: Omit<AuditQuery, 'limit'> & { limit: number }): Promise<{ entries: AuditRow[], nextCursor: string | null }> {
      await flush()
      const rows = await store.listAudit({ ...query, limit: query.limit + 1 })
      const entries = rows.slice(0, query.limit)
      return { entries, nextCursor: rows.length > query.limit ? String(entries.at(-1)!.id) : null }
    },

    async verify (): Promise<ChainVerification> {
      await flush()
      async function * pages (): AsyncGenerator<AuditRow[]> {
        let after = 0
        for (;;) {
          const rows = await store.auditRows(after, 1000)
          if (rows.length === 0) return
          yield rows
          after = rows.at(-1)!.id
        }
      }
      return await verifyChain(hasher, pages())
    },

    async close (): Promise<void> {
      await flush()
    }
  }
}

export type AuditLog = ReturnType<typeof createAuditLog>

export function parseAuditCursor (cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined
  if (!/^\d{1,15}$/.test(cursor)) throw new AppError(400, 'invalid_cursor', 'the cursor is not one this server gave out')
  return Number(cursor)
}
