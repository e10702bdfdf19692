import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { buildTestApp, TEST_KEY } from '../fixtures/app.js'

async function withHistory (t: Test) {
  const dir = t.testdir()
  const dbPath = join(dir, 'trove.db')
  const app = await buildTestApp(t, { dbPath })
  const { call } = app
  await call({ method: 'POST', url: '/v1/secrets', payload: { name: 'db_password', value: 'canary-audit-value' } })
  await call({ method: 'POST', url: '/v1/secrets', payload: { name: 'db_password', value: 'second' } })
  await call({ method: 'GET', url: '/v1/secrets/db_password/value' })
  await call({ method: 'POST', url: '/v1/secrets/resolve', payload: { names: ['db_password'] } })
  const key = (await call({ method: 'POST', url: '/v1/api_keys', payload: { name: 'reader', scopes: ['secrets:list'] } })).json()
  await call({ method: 'GET', url: '/v1/secrets/db_password/value', key: key.key })
  await call({ method: 'GET', url: '/v1/secrets', key: 'not-a-real-key-0123456789' })
  await call({ method: 'DELETE', url: `/v1/api_keys/${key.id}` })
  await call({ method: 'DELETE', url: '/v1/secrets/db_password' })
  await call({ method: 'POST', url: '/v1/trash/db_password/restore' })
  return app
}

type RawSql = Awaited<ReturnType<typeof buildTestApp>>['rawSql']

const events = async (call: Awaited<ReturnType<typeof buildTestApp>>['call'], query = '') =>
  (await call({ method: 'GET', url: `/v1/audit_logs${query}` })).json().audit_logs as Record<string, string | number | null>[]

t.test('changes, reads and refusals are recorded, newest first, never with a value', async t => {
  const { call } = await withHistory(t)
  const all = await events(call)
  // changes are written with the change, reads and refusals grouped a moment later: compare as sets
  t.same(all.map(e => e.event_type).sort(), [
    'ACCESS_DENIED', 'AUTH_FAILED', 'KEY_CREATED', 'KEY_REVOKED', 'SECRET_DELETED', 'SECRET_READ', 'SECRET_READ',
    'SECRET_RESTORED', 'SECRET_UPDATED', 'SECRET_UPDATED'
  ])
  t.same(all.map(e => e.id), [...all.map(e => e.id)].sort((a, b) => Number(b) - Number(a)), 'newest first')
  const first = all.at(-1)!
  t.match(first, { event_type: 'SECRET_UPDATED', outcome: 'success', key_id: String, team_name: 'default', secret_name: 'db_password', client_ip: '127.0.0.1', request_id: String, detail: 'created, version 1' })
  t.match(all.find(e => e.event_type === 'ACCESS_DENIED'), { outcome: 'denied', detail: /insufficient_scope/ })
  t.match(all.find(e => e.event_type === 'AUTH_FAILED'), { outcome: 'denied', key_id: null })
  t.notOk(JSON.stringify(all).includes('canary-audit-value'), 'no value in the log')
  t.notOk(JSON.stringify(all).includes(TEST_KEY), 'no key in the log')

  t.same((await events(call, '?event_type=SECRET_READ')).length, 2)
  t.same((await events(call, '?action=KEY_CREATED')).length, 1, 'action is an alias')
  t.same((await events(call, '?secret_name=nope')).length, 0)
  const keyId = first.key_id as string
  t.ok((await events(call, `?key_id=${keyId}`)).every(e => e.key_id === keyId))
  t.same((await events(call, '?since=2999-01-01T00:00:00Z')).length, 0)
  const page = (await call({ method: 'GET', url: '/v1/audit_logs?limit=4' })).json()
  t.equal(page.audit_logs.length, 4)
  const rest = (await call({ method: 'GET', url: `/v1/audit_logs?limit=100&cursor=${page.next_cursor}` })).json()
  t.equal(page.audit_logs.length + rest.audit_logs.length, all.length)
  t.equal(rest.next_cursor, null)
  for (const bad of ['limit=0', 'since=yesterday', 'since=2026-02-30T00:00:00Z', 'until=2026-04-31', 'cursor=abc']) t.equal((await call({ method: 'GET', url: `/v1/audit_logs?${bad}` })).statusCode, 400, bad)
})

t.test('every 403 of a known key is recorded, whichever check refused it', async t => {
  const { call } = await buildTestApp(t)
  const team = (await call({ method: 'POST', url: '/v1/teams', payload: { name: 'ml' } })).json()
  const bound = (await call({ method: 'POST', url: '/v1/api_keys', payload: { name: 'team admin', scopes: ['admin'], teams: [team.id] } })).json()
  const manager = (await call({ method: 'POST', url: '/v1/api_keys', payload: { name: 'mgr', scopes: ['keys:manage'], expires_at: '2099-01-01T00:00:00Z' } })).json()
  const refusals: [string, 'GET' | 'POST', string, object | undefined, string][] = [
    [bound.key, 'POST', '/v1/sys/rotate', undefined, 'POST /v1/sys/rotate: team_bound_key'],
    [manager.key, 'POST', '/v1/api_keys', { name: 'x', scopes: ['admin'] }, 'POST /v1/api_keys: scope_not_held'],
    [manager.key, 'POST', '/v1/api_keys', { name: 'x', scopes: ['keys:manage'], expires_at: '2100-01-01T00:00:00Z' }, 'POST /v1/api_keys: expiry_beyond_own'],
    [manager.key, 'GET', '/v1/secrets', undefined, 'GET /v1/secrets: insufficient_scope']
  ]
  for (const [key, method, url, payload] of refusals) t.equal((await call({ method, url, payload, key })).statusCode, 403, url)
  const denied = await events(call, '?event_type=ACCESS_DENIED')
  t.same(denied.map(e => [e.key_id, e.outcome, e.detail]).sort(), [
    [bound.id, 'denied', refusals[0]![4]], [manager.id, 'denied', refusals[1]![4]], [manager.id, 'denied', refusals[2]![4]], [manager.id, 'denied', refusals[3]![4]]
  ].sort(), 'each once, with the key that asked')
})

t.test('the chain verifies, and every edit, deletion or reordering is found', async t => {
  /** each tampering returns the id verify must name first */
  const tamperings: [string, (raw: RawSql) => Promise<number>][] = [
    ['an edited row', async raw => { await raw("UPDATE audit_log SET secret_name = 'other' WHERE id = 3"); return 3 }],
    ['an edited outcome', async raw => {
      const id = Number((await raw("SELECT id FROM audit_log WHERE event_type = 'AUTH_FAILED'"))[0]!.id)
      await raw("UPDATE audit_log SET outcome = 'success' WHERE id = ?", [id])
      return id
    }],
    ['a deleted row', async raw => { await raw('DELETE FROM audit_log WHERE id = 4'); return 5 }],
    ['the first row deleted', async raw => { await raw('DELETE FROM audit_log WHERE id = 1'); return 2 }],
    ['two rows swapped', async raw => {
      await raw('UPDATE audit_log SET id = -5 WHERE id = 5')
      await raw('UPDATE audit_log SET id = 5 WHERE id = 6')
      await raw('UPDATE audit_log SET id = 6 WHERE id = -5')
      return 5
    }],
    ['a forged hash', async raw => { await raw('UPDATE audit_log SET hash = ? WHERE id = 8', [randomBytes(32)]); return 8 }]
  ]
  for (const [what, tamper] of tamperings) {
    const { call, rawSql } = await withHistory(t)
    const before = (await call({ method: 'GET', url: '/v1/audit_logs/verify' })).json()
    t.match(before, { valid: true, entries: 10, head: { id: 10, hash: /^[0-9a-f]{64}$/ } }, `${what}: valid before`)
    const firstInvalid = await tamper(rawSql)
    const after = (await call({ method: 'GET', url: '/v1/audit_logs/verify' })).json()
    t.equal(after.valid, false, `${what} is found`)
    t.equal(after.first_invalid_id, firstInvalid, `${what}: first invalid id`)
  }
})

t.test('reads can be left out of the log; changes cannot', async t => {
  const { call } = await buildTestApp(t, { auditReads: false })
  await call({ method: 'POST', url: '/v1/secrets', payload: { name: 'x', value: 'v' } })
  await call({ method: 'GET', url: '/v1/secrets/x/value' })
  t.same((await events(call)).map(e => e.event_type), ['SECRET_UPDATED'])
})

t.test('a team-bound key sees only its teams\' entries', async t => {
  const { call } = await buildTestApp(t)
  const ml = (await call({ method: 'POST', url: '/v1/teams', payload: { name: 'ml' } })).json().id
  await call({ method: 'POST', url: `/v1/teams/${ml}/secrets`, payload: { name: 'ml_secret', value: 'v' } })
  await call({ method: 'POST', url: '/v1/secrets', payload: { name: 'default_secret', value: 'v' } })
  const key = (await call({ method: 'POST', url: '/v1/api_keys', payload: { name: 'auditor', scopes: ['audit:read'], teams: [ml] } })).json().key
  const seen = (await call({ method: 'GET', url: '/v1/audit_logs', key })).json().audit_logs
  t.ok(seen.length > 0 && seen.every((e: { team_id: string }) => e.team_id === ml), 'only the team\'s entries')
  t.ok(seen.some((e: { secret_name: string }) => e.secret_name === 'ml_secret'))
})
