import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { startCliSession } from '../fixtures/cli.js'

const EXISTING = `# Truss local settings (hand-edited)
use_sudo: false   # docker without sudo
secrets:
  # kept from an earlier pull
  old_secret: old-value
  hf_access_token: stale
registry:
  host: example.com
`

t.test('truss pull writes the declared secrets into ~/.truss/config.yaml and keeps everything else', async t => {
  const { trove, home } = await startCliSession(t)
  await trove(['secret', 'set', 'hf_access_token', '--value', 'fresh'])
  await trove(['secret', 'set', 'multi'], { input: 'a\nb\n\n' })
  const dir = t.testdir({ 'config.yaml': 'model_name: m\nsecrets:\n  hf_access_token: null\n  multi: null\n' })
  mkdirSync(join(home, '.truss'))
  const file = join(home, '.truss', 'config.yaml')
  writeFileSync(file, EXISTING)

  const r = await trove(['truss', 'pull', '--config', join(dir, 'config.yaml')])
  t.same(r, { code: 0, signal: null, stdout: `Wrote 2 secrets to ${file}\n`, stderr: '' })
  const text = readFileSync(file, 'utf8')
  t.same(parse(text), {
    use_sudo: false,
    secrets: { old_secret: 'old-value', hf_access_token: 'fresh', multi: 'a\nb\n' },
    registry: { host: 'example.com' }
  })
  for (const comment of ['# Truss local settings (hand-edited)', '# docker without sudo', '# kept from an earlier pull']) {
    t.ok(text.includes(comment), `keeps "${comment}"`)
  }
  t.ok(text.indexOf('use_sudo') < text.indexOf('secrets:') && text.indexOf('secrets:') < text.indexOf('registry:'), 'key order kept')
  t.equal(statSync(file).mode & 0o777, 0o600)

  const missing = await trove(['truss', 'pull', '--config', join(dir, 'config.yaml')], { env: { HOME: join(home, 'other') } })
  t.equal(missing.code, 0, 'HOME decides where ~/.truss is')
})

t.test('without --config every secret the key can read is pulled; a missing file is created 0600', async t => {
  const { trove, home } = await startCliSession(t)
  await trove(['secret', 'set', 'one', '--value', '1'])
  await trove(['secret', 'set', 'two', '--value', '2'])
  const file = join(home, '.truss', 'config.yaml')
  let r = await trove(['truss', 'pull'])
  t.equal(r.stdout, `Wrote 2 secrets to ${file}\n`)
  t.same(parse(readFileSync(file, 'utf8')), { secrets: { one: '1', two: '2' } })
  t.equal(statSync(file).mode & 0o777, 0o600)
  t.equal(statSync(join(home, '.truss')).mode & 0o777, 0o700)

  const elsewhere = join(t.testdir(), 'truss.yaml')
  r = await trove(['truss', 'pull', '--truss-config', elsewhere, '--json'])
  t.same(JSON.parse(r.stdout), { truss_config: elsewhere, written: ['one', 'two'] })

  const dir = t.testdir({ 'config.yaml': 'secrets:\n  one: null\n  absent: null\n' })
  writeFileSync(file, 'secrets:\n  one: before\n')
  r = await trove(['truss', 'pull', '--config', join(dir, 'config.yaml')])
  t.equal(r.code, 1)
  t.match(r.stderr, /^Secret 'absent' not found\./)
  t.equal(readFileSync(file, 'utf8'), 'secrets:\n  one: before\n', 'nothing written when a declared secret is missing')

  writeFileSync(file, 'secrets: [unclosed\n')
  r = await trove(['truss', 'pull'])
  t.equal(r.code, 1)
  t.match(r.stderr, /is not valid YAML .*nothing was written/)
  t.equal(readFileSync(file, 'utf8'), 'secrets: [unclosed\n', 'a file it cannot parse is left alone')
})
