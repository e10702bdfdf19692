import { join } from 'node:path'
import t from 'tap'
import { startCliSession } from '../fixtures/cli.js'

t.test('import: the plan with --dry-run, then the import; an invalid entry changes nothing', async t => {
  const { trove } = await startCliSession(t)
  const dir = t.testdir({
    'prod.env': 'DB_URL=postgres://db\nMULTI="one\\ntwo"\n# a comment\nexisting=new\n',
    'bad.env': 'GOOD=1\nnot a line\n',
    'secrets.yaml': 'from_yaml: "y"\n',
    'secrets.txt': 'A=1\n'
  })
  await trove(['secret', 'set', 'existing', '--value', 'old'])

  let r = await trove(['import', join(dir, 'prod.env'), '--dry-run'])
  t.equal(r.code, 0)
  t.equal(r.stdout, [
    'create  DB_URL',
    'create  MULTI',
    'update  existing',
    'Dry run: 2 to create, 1 to update, 0 unchanged; nothing was changed.',
    ''
  ].join('\n'))
  t.equal((await trove(['secret', 'get', 'existing'])).stdout, 'old', 'a dry run changes nothing')
  t.equal((await trove(['secret', 'get', 'DB_URL'])).code, 1)

  r = await trove(['import', join(dir, 'prod.env')])
  t.equal(r.code, 0)
  t.match(r.stdout, /Imported: 2 created, 1 updated, 0 unchanged\.\n$/)
  t.equal((await trove(['secret', 'get', 'MULTI'])).stdout, 'one\ntwo')
  t.equal((await trove(['secret', 'get', 'existing'])).stdout, 'new')
  t.match(JSON.parse((await trove(['import', join(dir, 'prod.env'), '--json'])).stdout), {
    applied: true,
    plan: [{ name: 'DB_URL', action: 'unchanged' }, { name: 'MULTI', action: 'unchanged' }, { name: 'existing', action: 'unchanged' }]
  })

  r = await trove(['import', join(dir, 'bad.env')])
  t.equal(r.code, 1)
  t.match(r.stdout, /^create\s+GOOD\ninvalid\s+.*line 2/, 'the plan shows which entry is wrong')
  t.equal(r.stderr, 'trove: 400 invalid_import: 1 entry is invalid; nothing was imported\n')
  t.equal((await trove(['secret', 'get', 'GOOD'])).code, 1, 'nothing was imported')
  r = await trove(['import', join(dir, 'bad.env'), '--dry-run'])
  t.equal(r.code, 1, 'a dry run of an invalid file fails too, so CI can use it as a check')
  r = await trove(['import', join(dir, 'bad.env'), '--json'])
  t.match(JSON.parse(r.stdout), { code: 'invalid_import', plan: [{ action: 'create' }, { action: 'invalid' }] })

  t.equal((await trove(['import', join(dir, 'secrets.yaml')])).code, 0, 'yaml from the extension')
  t.equal((await trove(['secret', 'get', 'from_yaml'])).stdout, 'y')
  r = await trove(['import', join(dir, 'secrets.txt')])
  t.equal(r.code, 2)
  t.match(r.stderr, /cannot tell the format of .*secrets\.txt from its name; add --format dotenv, json or yaml/)
  t.equal((await trove(['import', join(dir, 'secrets.txt'), '--format', 'dotenv'])).code, 0)
  t.equal((await trove(['import', '-', '--format', 'json'], { input: '{"from_stdin":"s"}' })).code, 0, '- reads stdin')
  t.equal((await trove(['secret', 'get', 'from_stdin'])).stdout, 's')
  r = await trove(['import', join(dir, 'missing.env')])
  t.equal(r.code, 1)
  t.match(r.stderr, /^trove: cannot read .*missing\.env: no such file or directory\n$/)
})
