import t from 'tap'
import { startCliSession } from '../fixtures/cli.js'

t.test('--team by name or id uses the team routes; an unknown team is a clear error', async t => {
  const { trove } = await startCliSession(t)
  const created = JSON.parse((await trove(['team', 'create', 'ml', '--json'])).stdout)
  t.equal((await trove(['secret', 'set', 'hf_token', '--team', 'ml', '--value', 'in-ml'])).code, 0)
  await trove(['secret', 'set', 'hf_token', '--value', 'in-default'])

  t.equal((await trove(['secret', 'get', 'hf_token', '--team', 'ml'])).stdout, 'in-ml')
  t.equal((await trove(['secret', 'get', 'hf_token', '--team', created.id])).stdout, 'in-ml', 'an id works too')
  t.equal((await trove(['secret', 'get', 'hf_token'])).stdout, 'in-default', 'without --team: the key\'s own team')
  t.match((await trove(['secret', 'list', '--team', 'ml'])).stdout, /hf_token\s+ml\s+1/)
  t.notMatch((await trove(['secret', 'list', '--team', 'ml'])).stdout, /default/)
  const all = JSON.parse((await trove(['secret', 'list', '--json'])).stdout)
  t.same(all.secrets.map((s: { team_name: string }) => s.team_name).sort(), ['default', 'ml'], 'without --team a list spans the key\'s teams')

  await trove(['secret', 'delete', 'hf_token', '--team', 'ml'])
  t.match((await trove(['secret', 'trash', '--team', 'ml'])).stdout, /hf_token\s+ml/)
  t.equal((await trove(['secret', 'restore', 'hf_token', '--team', 'ml'])).code, 0)
  t.equal((await trove(['secret', 'history', 'hf_token', '--team', 'ml', '--json'])).code, 0)

  const r = await trove(['secret', 'list', '--team', 'nope'])
  t.equal(r.code, 1)
  t.equal(r.stderr, 'trove: no team "nope" among the teams this key may use (default, ml)\n')
})
