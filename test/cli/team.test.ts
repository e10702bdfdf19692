import t from 'tap'
import { startCliSession } from '../fixtures/cli.js'

t.test('team create, list and delete (by name or id)', async t => {
  const { trove } = await startCliSession(t)
  let r = await trove(['team', 'create', 'research'])
  t.match(r.stdout, /^Created team research \(id \S+\)\n$/)
  const made = JSON.parse((await trove(['team', 'create', 'staging', '--json'])).stdout)
  t.match(made, { id: String, name: 'staging', created_at: String })

  r = await trove(['team', 'list'])
  t.match(r.stdout, /^ID\s+NAME\n/)
  t.match(r.stdout, /\sdefault\n/)
  t.match(r.stdout, /\sresearch\n/)
  const { teams } = JSON.parse((await trove(['team', 'list', '--json'])).stdout)
  t.same(teams.map((team: { name: string }) => team.name).sort(), ['default', 'research', 'staging'])

  t.equal((await trove(['team', 'delete', 'research'])).stdout, 'Deleted team research\n')
  t.same(JSON.parse((await trove(['team', 'delete', made.id, '--json'])).stdout), made, 'by id')
  r = await trove(['team', 'delete', 'default'])
  t.equal(r.code, 1)
  t.equal(r.stderr, 'trove: 409 default_team: the default team cannot be deleted\n')
  r = await trove(['team', 'create', 'default'])
  t.equal(r.code, 1)
  t.match(r.stderr, /^trove: 409 team_exists: /)
})
