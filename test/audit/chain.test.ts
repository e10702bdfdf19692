import { createHmac, randomBytes } from 'node:crypto'
import t from 'tap'
import { eventFrom } from '../../src/audit/audit-log.js'
import { auditEventFromValues, auditEventValues, createAuditHasher, GENESIS_HASH } from '../../src/audit/chain.js'

const key = randomBytes(32)
const event = eventFrom({ keyId: 'key_1', scopes: ['admin'], teams: null, expiresAt: null, requestId: 'req-3', clientIp: '::1' }, 'SECRET_READ',
  { teamId: 'team_a', teamName: 'default', secretName: 'db_password', detail: 'version 2' }, new Date('2026-01-02T03:04:05.000Z'))

t.test('a row\'s hash is HMAC-SHA256 over its id and fields as JSON, then the previous hash: chains already stored keep verifying', async t => {
  const written = createHmac('sha256', key)
    .update('[7,"2026-01-02T03:04:05.000Z","SECRET_READ","success","key_1","team_a","default","db_password","::1","req-3","version 2"]')
    .update(GENESIS_HASH)
    .digest()
  t.same(createAuditHasher(key)(7, event, GENESIS_HASH), written)
})

t.test('an event as a list and back is the same event', async t => {
  t.same(auditEventFromValues(auditEventValues(event)), event)
})
