import t from 'tap'
import { startCliSession } from '../fixtures/cli.js'

t.test('secret list, delete, history, rollback, restore and trash', async t => {
  const { trove } = await startCliSession(t)
  t.same(await trove(['secret', 'list']), { code: 0, signal: null, stdout: 'No secrets found.\n', stderr: '' })
  t.same(JSON.parse((await trove(['secret', 'list', '--json'])).stdout), { secrets: [] })

  await trove(['secret', 'set', 'db_password', '--value', 'first'])
  await trove(['secret', 'set', 'db_password', '--value', 'second'])
  await trove(['secret', 'set', 'api_token', '--value', 'token'])

  let r = await trove(['secret', 'list'])
  const lines = r.stdout.trimEnd().split('\n')
  t.match(lines[0], /^NAME\s+TEAM\s+VERSION\s+UPDATED$/)
  t.match(lines.slice(1).sort(), [/^api_token\s+default\s+1\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/, /^db_password\s+default\s+2\s+/])
  t.notOk(r.stdout.includes('second'), 'a list never shows values')
  const listed = JSON.parse((await trove(['secret', 'list', '--json'])).stdout)
  t.same(listed.secrets.map((s: { name: string }) => s.name).sort(), ['api_token', 'db_password'])

  r = await trove(['secret', 'history', 'db_password'])
  t.match(r.stdout, /^VERSION\s+CREATED\s+CREATED BY\s+CURRENT\s+FINGERPRINT\n2\s.*\*\s+fp_\S+\n1\s/)
  const history = JSON.parse((await trove(['secret', 'history', 'db_password', '--json'])).stdout)
  t.same(history.versions.map((v: { version: number, current: boolean }) => [v.version, v.current]), [[2, true], [1, false]])

  r = await trove(['secret', 'rollback', 'db_password', '--version', '1'])
  t.equal(r.stdout, 'Rolled back secret db_password to version 1 (now version 3)\n')
  t.equal((await trove(['secret', 'get', 'db_password'])).stdout, 'first')

  r = await trove(['secret', 'delete', 'db_password'])
  t.same(r, { code: 0, signal: null, stdout: 'Deleted secret db_password\n', stderr: '' })
  t.equal((await trove(['secret', 'get', 'db_password'])).code, 1, 'gone')
  r = await trove(['secret', 'trash'])
  t.match(r.stdout, /^NAME\s+TEAM\s+DELETED\s+DESTROYED AFTER\ndb_password\s+default\s/)
  t.match(JSON.parse((await trove(['secret', 'trash', '--json'])).stdout), { secrets: [{ name: 'db_password' }] })

  r = await trove(['secret', 'restore', 'db_password'])
  t.equal(r.stdout, 'Restored secret db_password\n')
  t.equal((await trove(['secret', 'get', 'db_password'])).stdout, 'first', 'back with its value')
  t.equal((await trove(['secret', 'trash'])).stdout, 'The trash is empty.\n')

  r = await trove(['secret', 'delete', 'db_password', '--json'])
  t.same(JSON.parse(r.stdout), { name: 'db_password' })
  r = await trove(['secret', 'restore', 'never_existed'])
  t.equal(r.code, 1)
  t.match(r.stderr, /^trove: 404 not_in_trash: /)
})
