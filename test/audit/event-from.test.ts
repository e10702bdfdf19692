import t from 'tap'
import { eventFrom } from '../../src/audit/audit-log.js'

const principal = { keyId: 'key_1', scopes: ['admin'], teams: null, expiresAt: null, requestId: 'req-7', clientIp: '10.0.0.1' }
const at = new Date('2026-01-02T03:04:05.000Z')

t.test('an event says who asked, from the principal, and when', async t => {
  t.same(eventFrom(principal, 'SECRET_READ', { teamId: 'team_a', teamName: 'default', secretName: 'db_password' }, at), {
    createdAt: '2026-01-02T03:04:05.000Z',
    eventType: 'SECRET_READ',
    outcome: 'success',
    keyId: 'key_1',
    teamId: 'team_a',
    teamName: 'default',
    secretName: 'db_password',
    clientIp: '10.0.0.1',
    requestId: 'req-7',
    detail: null
  })
})

t.test('given fields win over what the principal says, null included', async t => {
  const event = eventFrom(principal, 'AUTH_FAILED', { outcome: 'denied', clientIp: '192.0.2.9', requestId: null, detail: 'GET /v1/secrets: invalid_api_key' }, at)
  t.equal(event.outcome, 'denied')
  t.equal(event.clientIp, '192.0.2.9')
  t.equal(event.requestId, null, 'an explicit null is kept, not replaced by the principal\'s request id')
  t.equal(event.detail, 'GET /v1/secrets: invalid_api_key')
  t.equal(event.keyId, 'key_1')
})

t.test('without a principal nothing is made up', async t => {
  const event = eventFrom(undefined, 'AUTH_FAILED', {}, at)
  t.equal(event.keyId, null)
  t.equal(event.clientIp, null)
  t.equal(event.requestId, null)
  t.same(Object.keys(event).sort(), ['clientIp', 'createdAt', 'detail', 'eventType', 'keyId', 'outcome', 'requestId', 'secretName', 'teamId', 'teamName'])
})
