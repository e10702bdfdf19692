import { auditEventFromValues, auditEventValues, type AuditEvent, type AuditEventValues } from './chain.js'

const INITIAL_BYTES = 64 * 1024

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
      const line = JSON.stringify(auditEventValues(event))
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
        events.push(auditEventFromValues(JSON.parse(buffer.toString('utf8', start, end)) as AuditEventValues))
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
