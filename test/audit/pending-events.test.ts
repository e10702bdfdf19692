import t from 'tap'
import { eventFrom } from '../../src/audit/audit-log.js'
import type { AuditEvent } from '../../src/audit/chain.js'
import { createPendingEvents } from '../../src/audit/pending-events.js'

const principal = { keyId: 'key_1', scopes: ['admin'], teams: null, expiresAt: null, requestId: 'req-1', clientIp: '::1' }

t.test('events come back as they went in, oldest first, and the buffer is then empty', async t => {
  const pending = createPendingEvents()
  const events: AuditEvent[] = [
    eventFrom(principal, 'SECRET_READ', { teamId: 'team_a', teamName: 'default', secretName: 'db_password' }),
    // quotes, backslashes, line breaks and non-ASCII survive the round trip
    eventFrom(undefined, 'AUTH_FAILED', { outcome: 'denied', detail: 'GET /v1/secrets/"x"\\n\nß🔑: invalid_api_key' }),
    eventFrom(principal, 'SECRET_READ', { secretName: 'ключ', detail: 'version 3' })
  ]
  for (const event of events) pending.push(event)
  t.equal(pending.size, 3)
  t.same(pending.take(), events)
  t.equal(pending.size, 0)
  t.same(pending.take(), [], 'nothing is handed out twice')
})

t.test('a group larger than the first buffer grows it, and nothing is lost', async t => {
  const pending = createPendingEvents()
  const events = Array.from({ length: 5000 }, (_, i) => eventFrom(principal, 'SECRET_READ', { secretName: `secret_${i}`, detail: 'x'.repeat(i % 100) }))
  for (const event of events) pending.push(event)
  t.same(pending.take(), events)
  pending.push(events[0]!)
  t.same(pending.take(), [events[0]], 'after a large group the next one holds only its own events')
})
