import t from 'tap'
import { startCliSession } from '../fixtures/cli.js'

t.test('key create prints the key once on stdout; list and revoke', async t => {
  const { trove } = await startCliSession(t)
  await trove(['team', 'create', 'ml'])
  await trove(['secret', 'set', 'in_ml', '--team', 'ml', '--value', 'ml-value'])

  let r = await trove(['key', 'create', '--name', 'ci', '--scope', 'secrets:list', '--scope', 'secrets:read', '--team', 'ml'])
  t.equal(r.code, 0)
  t.match(r.stdout, /^trove_[0-9A-Za-z_]+\n$/, 'only the key on stdout, for KEY=$(trove key create …)')
  t.match(r.stderr, /^Created API key "ci" \(id \S+, scopes secrets:list, secrets:read\)\. It is shown only this once; store it now:\n$/)
  const ciKey = r.stdout.trim()

  // the new key works, within its team and scopes
  r = await trove(['secret', 'get', 'in_ml', '--team', 'ml'], { env: { TROVE_API_KEY: ciKey } })
  t.equal(r.stdout, 'ml-value')
  r = await trove(['secret', 'set', 'x', '--team', 'ml', '--value', 'y'], { env: { TROVE_API_KEY: ciKey } })
  t.equal(r.code, 1)
  t.equal(r.stderr, 'trove: 403 insufficient_scope: this API key lacks the "secrets:write" scope\n')

  r = await trove(['key', 'create', '--name', 'json', '--scope', 'secrets:list,audit:read', '--expires-at', '2999-01-01T00:00:00Z', '--json'])
  const created = JSON.parse(r.stdout)
  t.match(created, { name: 'json', scopes: ['secrets:list', 'audit:read'], expires_at: '2999-01-01T00:00:00.000Z', key: /^trove_/ })

  r = await trove(['key', 'list'])
  t.match(r.stdout, /^ID\s+NAME\s+SCOPES\s+TEAMS\s+CREATED\s+EXPIRES\s+LAST USED\s+STATUS\n/)
  t.match(r.stdout, /\sci\s+secrets:list,secrets:read\s+ml\s.*active\n/, 'team ids shown by name')
  t.notOk(r.stdout.includes(ciKey), 'a list never shows keys')
  const listed = JSON.parse((await trove(['key', 'list', '--json'])).stdout)
  const ci = listed.api_keys.find((k: { name: string }) => k.name === 'ci')
  t.equal(listed.api_keys.length, 3)

  r = await trove(['key', 'revoke', ci.id])
  t.equal(r.stdout, `Revoked API key ${ci.id} (ci)\n`)
  t.match((await trove(['key', 'list'])).stdout, new RegExp(`${ci.id}\\s+ci\\s.*revoked\\n`))
  r = await trove(['secret', 'list'], { env: { TROVE_API_KEY: ciKey } })
  t.equal(r.code, 1)
  t.match(r.stderr, /^trove: 401 invalid_api_key: /, 'a revoked key is refused at once')

  r = await trove(['key', 'create', '--name', 'no-scope'])
  t.equal(r.code, 2, 'a missing required option is a usage error')
  t.match(r.stderr, /required option '--scope <scope>' not specified/)
  r = await trove(['key', 'revoke', 'nope'])
  t.equal(r.code, 1)
  t.equal(r.stderr, 'trove: 404 key_not_found: API key "nope" not found\n')
})
