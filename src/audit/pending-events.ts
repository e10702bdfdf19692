import type { AuditEvent } from './chain.js'

const INITIAL_BYTES = 64 * 1024

type Nullable = string | null
/** An event as one JSON array, its fields in AuditEvent's order. */
type EventLine = [createdAt: string, eventType: string, outcome: AuditEvent['outcome'], keyId: Nullable, teamId: Nullable,
  teamName: Nullable, secretName: Nullable, clientIp: Nullable, requestId: Nullable, detail: Nullable]

/**
 * Grouped audit events waiting to be written, kept as JSON lines in one buffer outside the
 * JavaScript heap. Held as objects for up to a group's 200 ms, each read's event (and the strings
 * it points to) outlived V8's young generation and was promoted, so the old generation grew by
 * megabytes a second under a read load until the next full collection (issue 9, resident
 * memory). As bytes, an event costs one short-lived string when it is recorded and one object
 * when its group is written.
 */
export function createPendingEvents () {
  // grows to what the largest group needs (about 200 bytes an event) and stays that size
  let buffer = Buffer.alloc(INITIAL_BYTES)
  let used = 0
  let count = 0

  return {
    get size (): number { return count },

    push (event: AuditEvent): void {
      const fields: EventLine = [event.createdAt, event.eventType, event.outcome, event.keyId, event.teamId, event.teamName,
        event.secretName, event.clientIp, event.requestId, event.detail]
      const line = JSON.stringify(fields)
      const bytes = Buffer.byteLength(line) + 1
      if (used + bytes > buffer.length) {
        const grown = Buffer.alloc(Math.max(buffer.length * 2, used + bytes))
        buffer.copy(grown, 0, 0, used)
        buffer = grown
      }
      used += buffer.write(line, used)
      buffer[used++] = 0x0a
      count++
    },

    /** Every waiting event, oldest first; the buffer is then empty. */
    take (): AuditEvent[] {
      const events: AuditEvent[] = []
      let start = 0
      while (start < used) {
        const end = buffer.indexOf(0x0a, start)
        const [createdAt, eventType, outcome, keyId, teamId, teamName, secretName, clientIp, requestId, detail] =
          JSON.parse(buffer.toString('utf8', start, end)) as EventLine
        events.push({ createdAt, eventType, outcome, keyId, teamId, teamName, secretName, clientIp, requestId, detail })
        start = end + 1
      }
      // the buffer is kept, however large a group made it (a group has at most GROUP_LIMIT
      // events): a new one each time was garbage the young generation could not free either
      used = 0
      count = 0
      return events
    }
  }
}
