import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { MULTI, QUOTED, seededTrussSession as seeded, TRUSS_CONFIG as CONFIG } from '../fixtures/truss.js'

t.test('materialize writes exact bytes, 0400 files in a 0700 folder, and removes only its own stale files', async t => {
  const { trove } = await seeded(t)
  const dir = t.testdir({ 'config.yaml': CONFIG, 'smaller.yaml': 'secrets:\n  quoted: null\n' })
  const secrets = join(dir, 'secrets')

  let r = await trove(['truss', 'materialize', join(dir, 'config.yaml'), '--dir', secrets])
  t.same(r, { code: 0, signal: null, stdout: `Wrote 3 secrets to ${secrets}\n`, stderr: '' })
  t.equal(statSync(secrets).mode & 0o777, 0o700, 'the folder is 0700')
  t.equal(readFileSync(join(secrets, 'hf_access_token'), 'utf8'), 'hf_token_value', 'no newline added')
  t.equal(readFileSync(join(secrets, 'multi_line'), 'utf8'), MULTI)
  t.equal(readFileSync(join(secrets, 'quoted'), 'utf8'), QUOTED)
  for (const name of ['hf_access_token', 'multi_line', 'quoted']) t.equal(statSync(join(secrets, name)).mode & 0o777, 0o400, `${name} is 0400`)
  t.notOk(readdirSync(secrets).some(name => name.startsWith('.trove-tmp-')), 'no temporary file is left')

  // a file someone else put there, and a second run with fewer secrets
  writeFileSync(join(secrets, 'not_ours'), 'keep me')
  r = await trove(['truss', 'materialize', join(dir, 'smaller.yaml'), '--dir', secrets, '--json'])
  t.same(JSON.parse(r.stdout), { dir: secrets, written: ['quoted'], removed: ['hf_access_token', 'multi_line'] })
  t.same(readdirSync(secrets).sort(), ['.trove-materialized', 'not_ours', 'quoted'], 'stale files removed, the foreign one kept')
  t.equal(readFileSync(join(secrets, 'not_ours'), 'utf8'), 'keep me')

  // a new value replaces a 0400 file in place
  await trove(['secret', 'set', 'quoted', '--value', 'rotated'])
  r = await trove(['truss', 'materialize', join(dir, 'smaller.yaml'), '--dir', secrets])
  t.equal(r.code, 0)
  t.equal(readFileSync(join(secrets, 'quoted'), 'utf8'), 'rotated')
})

t.test('a missing secret: nothing is written, exit 1, each missing secret named', async t => {
  const { trove } = await seeded(t)
  const dir = t.testdir({ 'config.yaml': `${CONFIG.replace('secrets:\n', 'secrets:\n  absent_one: null\n  absent-two: null\n')}` })
  const secrets = join(dir, 'secrets')
  const r = await trove(['truss', 'materialize', join(dir, 'config.yaml'), '--dir', secrets])
  t.equal(r.code, 1)
  t.equal(r.stdout, '')
  t.equal(r.stderr, [
    'Secret \'absent_one\' not found. Please ensure that it is defined in Trove (trove secret set absent_one).',
    'Secret \'absent-two\' not found. Please ensure that it is defined in Trove (trove secret set absent-two).',
    'trove: 2 declared secrets are missing; nothing was written',
    ''
  ].join('\n'))
  t.notOk(existsSync(secrets), 'not even the folder')
  const env = await trove(['truss', 'materialize', join(dir, 'config.yaml'), '--env'])
  t.equal(env.code, 1)
  t.equal(env.stdout, '', '--env prints nothing either')
})
