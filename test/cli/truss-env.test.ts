import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { MULTI, QUOTED, seededTrussSession as seeded, TRUSS_CONFIG as CONFIG } from '../fixtures/truss.js'

const exec = promisify(execFile)

t.test('a start_command reads the files with $(cat …), as in a custom Docker image', async t => {
  const { trove } = await seeded(t)
  const dir = t.testdir({ 'config.yaml': CONFIG })
  const secrets = join(dir, 'secrets')
  t.equal((await trove(['truss', 'materialize', join(dir, 'config.yaml'), '--dir', secrets])).code, 0)
  // Baseten's documented start_command, with our folder in place of /secrets
  const script = `HF_TOKEN=$(cat ${secrets}/hf_access_token) sh -c 'printf "%s" "$HF_TOKEN"'`
  const { stdout } = await exec('sh', ['-c', script])
  t.equal(stdout, 'hf_token_value')
  // $(…) drops trailing newlines, as it would on Baseten; the file still holds them
  const multi = await exec('sh', ['-c', `V="$(cat ${secrets}/multi_line)"; printf "%s" "$V"`])
  t.equal(multi.stdout, MULTI.replace(/\n+$/, ''))
})

t.test('--env prints export lines that sh evals back to the exact values', async t => {
  const { trove } = await seeded(t)
  await trove(['secret', 'set', 'dashed-name', '--value', 'd'])
  const dir = t.testdir({ 'config.yaml': CONFIG.replace('secrets:\n', 'secrets:\n  dashed-name: null\n') })
  const r = await trove(['truss', 'materialize', join(dir, 'config.yaml'), '--env'])
  t.equal(r.code, 0)
  t.match(r.stdout, /^export TRUSS_SECRET_hf_access_token='hf_token_value'\n/m)
  t.match(r.stderr, /TRUSS_SECRET_dashed-name cannot be a shell variable/, 'a name a shell cannot hold is skipped, loudly')
  t.notOk(existsSync(join(dir, 'secrets')), 'no files with --env')

  // eval the lines, then print each variable back through node to compare bytes
  const script = 'eval "$1"; exec node -e \'process.stdout.write(JSON.stringify([process.env.TRUSS_SECRET_hf_access_token, process.env.TRUSS_SECRET_multi_line, process.env.TRUSS_SECRET_quoted]))\''
  const { stdout } = await exec('sh', ['-c', script, 'sh', r.stdout])
  t.same(JSON.parse(stdout), ['hf_token_value', MULTI, QUOTED], 'exported, byte for byte, multi-line and quotes included')

  const json = JSON.parse((await trove(['truss', 'materialize', join(dir, 'config.yaml'), '--env', '--json'])).stdout)
  t.same(json.env, { 'TRUSS_SECRET_dashed-name': 'd', TRUSS_SECRET_hf_access_token: 'hf_token_value', TRUSS_SECRET_multi_line: MULTI, TRUSS_SECRET_quoted: QUOTED })
})
