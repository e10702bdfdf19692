import t from 'tap'
import { SCOPES } from '../../src/services/principal.js'
import { buildTestApp, type TestApp } from '../fixtures/app.js'

/**
 * Every secrets route × every scope × own team / other team. A key is bound to team "a": with
 * the route's scope it is served in its team and gets a 404 in team "b" (indistinguishable from a
 * missing secret); without the scope it gets 403 naming the scope, in either team.
 */
interface Route {
  method: 'GET' | 'POST' | 'DELETE'
  path: string
  scope: string
  body?: () => unknown
  /** admin set-up run in the key's team before each call */
  prepare?: (admin: TestApp['call'], team: string, n: number) => Promise<void>
}

let counter = 0
const trashed = async (admin: TestApp['call'], team: string, n: number) => {
  await admin({ method: 'POST', url: `/v1/teams/${team}/secrets`, payload: { name: `gone_${n}`, value: 'v' } })
  await admin({ method: 'DELETE', url: `/v1/teams/${team}/secrets/gone_${n}` })
}
const routes: Route[] = [
  { method: 'GET', path: 'secrets', scope: 'secrets:list' },
  { method: 'POST', path: 'secrets', scope: 'secrets:write', body: () => ({ name: `new_${counter++}`, value: 'v' }) },
  { method: 'GET', path: 'secrets/s1', scope: 'secrets:list' },
  { method: 'GET', path: 'secrets/s1/value', scope: 'secrets:read' },
  { method: 'GET', path: 'secrets/s1/versions', scope: 'secrets:list' },
  { method: 'POST', path: 'secrets/s1/rollback', scope: 'secrets:write', body: () => ({ version: 1 }) },
  {
    method: 'DELETE',
    path: 'secrets/tmp_{n}',
    scope: 'secrets:delete',
    prepare: async (admin, team, n) => { await admin({ method: 'POST', url: `/v1/teams/${team}/secrets`, payload: { name: `tmp_${n}`, value: 'v' } }) }
  },
  { method: 'POST', path: 'secrets/resolve', scope: 'secrets:read', body: () => ({ names: ['s1'] }) },
  { method: 'GET', path: 'secrets/export?format=json', scope: 'secrets:read' },
  { method: 'POST', path: 'secrets/import?format=json', scope: 'secrets:write', body: () => JSON.stringify({ imported: 'v' }) },
  { method: 'GET', path: 'trash', scope: 'secrets:list' },
  { method: 'POST', path: 'trash/gone_{n}/restore', scope: 'secrets:write', prepare: trashed },
  { method: 'DELETE', path: 'trash/gone_{n}', scope: 'secrets:delete', prepare: trashed }
]

t.test('team-scoped secrets routes', async t => {
  const { call } = await buildTestApp(t, { rateLimit: 100_000 })
  const teamA = (await call({ method: 'POST', url: '/v1/teams', payload: { name: 'a' } })).json().id as string
  const teamB = (await call({ method: 'POST', url: '/v1/teams', payload: { name: 'b' } })).json().id as string
  for (const team of [teamA, teamB]) await call({ method: 'POST', url: `/v1/teams/${team}/secrets`, payload: { name: 's1', value: `in ${team}` } })

  let n = 0
  for (const scope of SCOPES) {
    const created = await call({ method: 'POST', url: '/v1/api_keys', payload: { name: scope, scopes: [scope], teams: [teamA] } })
    t.equal(created.statusCode, 200)
    const key = created.json().key as string
    for (const route of routes) {
      const covered = scope === 'admin' || scope === route.scope
      for (const [team, own] of [[teamA, true], [teamB, false]] as const) {
        n++
        await route.prepare?.(call, team, n)
        const res = await call({
          method: route.method,
          url: `/v1/teams/${team}/${route.path.replace('{n}', String(n))}`,
          key,
          payload: route.body?.() as string | undefined
        })
        const label = `${scope} ${route.method} ${route.path} in ${own ? 'its own' : 'another'} team`
        if (!covered) {
          t.equal(res.statusCode, 403, label)
          t.equal(res.json().code, 'insufficient_scope', label)
          t.match(res.json().message, route.scope)
        } else if (own) {
          t.equal(res.statusCode, 200, label)
        } else {
          t.equal(res.statusCode, 404, label)
          t.equal(res.json().code, 'team_not_found', label)
        }
      }
    }
  }
})

t.test('un-scoped routes use the key\'s primary team and list only its teams', async t => {
  const { call } = await buildTestApp(t)
  const teamA = (await call({ method: 'POST', url: '/v1/teams', payload: { name: 'a' } })).json().id as string
  await call({ method: 'POST', url: `/v1/teams/${teamA}/secrets`, payload: { name: 'in_a', value: 'a' } })
  await call({ method: 'POST', url: '/v1/secrets', payload: { name: 'in_default', value: 'd' } })
  const key = (await call({ method: 'POST', url: '/v1/api_keys', payload: { name: 'bound', scopes: ['secrets:list', 'secrets:read', 'secrets:write'], teams: [teamA] } })).json().key
  t.same((await call({ method: 'GET', url: '/v1/secrets', key })).json().secrets.map((s: { name: string }) => s.name), ['in_a'])
  t.equal((await call({ method: 'GET', url: '/v1/secrets/in_a/value', key })).json().value, 'a')
  t.equal((await call({ method: 'GET', url: '/v1/secrets/in_default', key })).statusCode, 404)
  t.match((await call({ method: 'POST', url: '/v1/secrets', key, payload: { name: 'written', value: 'w' } })).json(), { team_name: 'a' })
  t.same((await call({ method: 'GET', url: '/v1/teams', key })).json(), { teams: [{ id: teamA, name: 'a' }] })
})

t.test('keys, teams and audit routes need their scopes', async t => {
  const { call } = await buildTestApp(t)
  const cases: [string, 'GET' | 'POST' | 'DELETE', string, unknown][] = [
    ['keys:manage', 'GET', '/v1/api_keys', undefined],
    ['keys:manage', 'POST', '/v1/api_keys', { name: 'x', scopes: ['secrets:list'] }],
    ['teams:manage', 'POST', '/v1/teams', { name: 'team_{scope}' }],
    ['audit:read', 'GET', '/v1/audit_logs', undefined],
    ['audit:read', 'GET', '/v1/audit_logs/verify', undefined]
  ]
  for (const scope of SCOPES) {
    const key = (await call({ method: 'POST', url: '/v1/api_keys', payload: { name: scope, scopes: [scope] } })).json().key
    t.equal((await call({ method: 'GET', url: '/v1/teams', key })).statusCode, 200, `${scope} may list its teams`)
    for (const [needed, method, url, body] of cases) {
      const payload = body === undefined ? undefined : JSON.parse(JSON.stringify(body).replace('{scope}', scope.replace(':', '_')))
      // a keys:manage key may only grant what it holds, so it grants itself
      if (needed === 'keys:manage' && method === 'POST' && scope === 'keys:manage') payload.scopes = ['keys:manage']
      const res = await call({ method, url, key, payload })
      const covered = scope === 'admin' || scope === needed
      t.equal(res.statusCode, covered ? 200 : 403, `${scope} ${method} ${url}`)
    }
  }
})

t.test('a key bound to teams, even with admin, cannot act on the whole store through /v1/sys', async t => {
  const { call } = await buildTestApp(t)
  const teamA = (await call({ method: 'POST', url: '/v1/teams', payload: { name: 'a' } })).json().id as string
  const bound = (await call({ method: 'POST', url: '/v1/api_keys', payload: { name: 'bound-admin', scopes: ['admin'], teams: [teamA] } })).json().key as string
  const operations = [
    { method: 'POST', url: '/v1/sys/rotate' },
    { method: 'GET', url: '/v1/sys/rotation' },
    { method: 'POST', url: '/v1/sys/rekey', payload: { new_master_key_file: '/etc/hostname' } },
    { method: 'GET', url: '/v1/sys/backup' }
  ] as const
  for (const operation of operations) {
    const res = await call({ ...operation, key: bound })
    t.equal(res.statusCode, 403, `${operation.method} ${operation.url}`)
    t.match(res.json(), { code: 'team_bound_key', message: /acts on every team/ })
  }
  t.equal((await call({ method: 'GET', url: '/v1/sys/rotation' })).statusCode, 200, 'an unbound admin key may')
  t.equal((await call({ method: 'GET', url: `/v1/teams/${teamA}/secrets`, key: bound })).statusCode, 200, 'the bound key still works in its team')
})
