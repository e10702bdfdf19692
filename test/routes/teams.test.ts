import t from 'tap'
import { buildTestApp } from '../fixtures/app.js'

t.test('teams are created, listed and deleted when empty', async t => {
  const { call } = await buildTestApp(t)
  const created = await call({ method: 'POST', url: '/v1/teams', payload: { name: 'ml' } })
  t.equal(created.statusCode, 200)
  t.match(created.json(), { id: /^team_/, name: 'ml', created_at: String })
  t.same((await call({ method: 'GET', url: '/v1/teams' })).json().teams.map((team: { name: string }) => team.name), ['default', 'ml'])
  t.equal((await call({ method: 'POST', url: '/v1/teams', payload: { name: 'ml' } })).statusCode, 409)
  t.equal((await call({ method: 'POST', url: '/v1/teams', payload: { name: 'bad name' } })).statusCode, 400)
  const id = created.json().id

  await call({ method: 'POST', url: `/v1/teams/${id}/secrets`, payload: { name: 's', value: 'v' } })
  t.equal((await call({ method: 'DELETE', url: `/v1/teams/${id}` })).json().code, 'team_in_use')
  await call({ method: 'DELETE', url: `/v1/teams/${id}/secrets/s` })
  t.equal((await call({ method: 'DELETE', url: `/v1/teams/${id}` })).json().code, 'team_in_use', 'the trash counts')
  await call({ method: 'DELETE', url: `/v1/teams/${id}/trash/s` })
  const key = (await call({ method: 'POST', url: '/v1/api_keys', payload: { name: 'k', scopes: ['secrets:list'], teams: [id] } })).json()
  t.equal((await call({ method: 'DELETE', url: `/v1/teams/${id}` })).statusCode, 409, 'a live key bound to it counts')
  await call({ method: 'DELETE', url: `/v1/api_keys/${key.id}` })
  const deleted = await call({ method: 'DELETE', url: `/v1/teams/${id}` })
  t.equal(deleted.statusCode, 200)
  t.equal(deleted.json().name, 'ml')
  t.equal((await call({ method: 'DELETE', url: `/v1/teams/${id}` })).statusCode, 404)
})

t.test('the default team stays; team-bound keys cannot make teams', async t => {
  const { call } = await buildTestApp(t)
  const def = (await call({ method: 'GET', url: '/v1/teams' })).json().teams[0]
  t.equal((await call({ method: 'DELETE', url: `/v1/teams/${def.id}` })).json().code, 'default_team')
  const key = (await call({ method: 'POST', url: '/v1/api_keys', payload: { name: 'k', scopes: ['teams:manage'], teams: [def.id] } })).json().key
  t.equal((await call({ method: 'POST', url: '/v1/teams', key, payload: { name: 'x' } })).json().code, 'team_bound_key')
})

t.test('each team\'s values are sealed under its own key', async t => {
  const { call, trove } = await buildTestApp(t)
  const ml = (await call({ method: 'POST', url: '/v1/teams', payload: { name: 'ml' } })).json()
  const teams = await trove.store.listTeams()
  const kdf = Object.fromEntries(teams.map(team => [team.name, team.kdfId]))
  const a = trove.keyring.teamKey(trove.keyring.activeTerm, kdf.default!)
  const b = trove.keyring.teamKey(trove.keyring.activeTerm, kdf.ml!)
  t.not(Buffer.from(a!).toString('hex'), Buffer.from(b!).toString('hex'))
  t.ok(ml.id)
})
