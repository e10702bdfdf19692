import { join } from 'node:path'
import t from 'tap'
import { startCliSession } from '../fixtures/cli.js'

/** A config in the shape Truss writes and people edit: comments, other sections, odd spacing. */
const GOOD = `# Truss config for the summarizer
model_name: summarizer   # shown in the Baseten UI
python_version: py311
requirements:
  - transformers==4.44.0
  - torch
resources:
  accelerator: A10G
  use_gpu: true
  cpu: "4"
secrets:
  # tokens live in Trove, never here
  hf_access_token: null
  openai-api-key: ~
  wandb_key:
build:
  secret_to_path_mapping:
    hf_access_token: /root/.cache/hf_token   # a path, not a value
docker_server:
  start_command: sh -c "HF_TOKEN=$(cat /secrets/hf_access_token) my-server --port 8000"
  predict_endpoint: /predict
environment_variables:
  secrets: not-the-secrets-section
`

const WITH_VALUE = `model_name: leaky
secrets:
  hf_access_token: null
  # someone pasted the real token:
  openai_key: sk-real-value-123
  multi_line: |
    a value
    on two lines
model_metadata:
  example_model_input: {"prompt": "hi"}
`

t.test('a config.yaml holding a value fails, naming each line', async t => {
  const { trove } = await startCliSession(t)
  const dir = t.testdir({ 'config.yaml': WITH_VALUE })
  const config = join(dir, 'config.yaml')
  const r = await trove(['truss', 'check', config, '--offline'])
  t.equal(r.code, 1)
  t.equal(r.stdout, '')
  t.equal(r.stderr, [
    `${config}:5: secret "openai_key" holds a value; use null and store the value in Trove`,
    `${config}:6: secret "multi_line" holds a value; use null and store the value in Trove`,
    ''
  ].join('\n'))
  t.notOk(r.stderr.includes('sk-real-value-123'), 'the value itself is not repeated')

  const json = JSON.parse((await trove(['truss', 'check', config, '--offline', '--json'])).stdout)
  t.match(json, {
    ok: false,
    missing: null,
    secrets: [{ name: 'hf_access_token', line: 3, holds_value: false }, { name: 'openai_key', line: 5, holds_value: true }, { name: 'multi_line', holds_value: true }],
    problems: [{ line: 5, name: 'openai_key' }, { line: 6, name: 'multi_line' }]
  })
})

t.test('a good config with comments and other sections passes; a missing secret is listed', async t => {
  const { trove } = await startCliSession(t)
  const dir = t.testdir({ 'config.yaml': GOOD, 'empty.yaml': 'model_name: no-secrets\n', 'bad.yaml': 'secrets:\n  a: null\n  a: null\n', 'list.yaml': 'secrets:\n  - hf_access_token\n' })
  const config = join(dir, 'config.yaml')

  let r = await trove(['truss', 'check', config, '--offline'])
  t.same(r, { code: 0, signal: null, stdout: `${config}: 3 secrets declared, all null\n`, stderr: '' })

  await trove(['secret', 'set', 'hf_access_token', '--value', 'hf'])
  await trove(['secret', 'set', 'openai_api_key', '--value', 'sk'])
  r = await trove(['truss', 'check', config])
  t.equal(r.code, 1)
  t.equal(r.stderr, `${config}:15: secret "wandb_key" is not in Trove; store it with: trove secret set wandb_key\n`)
  t.notOk(r.stdout.includes('hf') || r.stderr.includes('sk'), 'no value is printed')
  t.same(JSON.parse((await trove(['truss', 'check', config, '--json'])).stdout).missing, ['wandb_key'])

  await trove(['secret', 'set', 'wandb_key', '--value', 'w'])
  r = await trove(['truss', 'check', dir], { cwd: dir })
  t.equal(r.code, 0, 'a Truss folder stands for its config.yaml; openai-api-key matches openai_api_key as on Baseten')
  t.equal(r.stdout, `${config}: 3 secrets declared, all null, all of them in Trove\n`)

  t.same(await trove(['truss', 'check', join(dir, 'empty.yaml')]), { code: 0, signal: null, stdout: `${join(dir, 'empty.yaml')}: 0 secrets declared\n`, stderr: '' })
  r = await trove(['truss', 'check', join(dir, 'bad.yaml'), '--offline'])
  t.equal(r.code, 1)
  t.match(r.stderr, /bad\.yaml:3: not valid YAML: Map keys must be unique/)
  r = await trove(['truss', 'check', join(dir, 'list.yaml'), '--offline'])
  t.equal(r.code, 1)
  t.match(r.stderr, /list\.yaml:2: `secrets:` must be a mapping of secret names to null/)
  r = await trove(['truss', 'check', join(dir, 'nope.yaml')])
  t.equal(r.code, 1)
  t.match(r.stderr, /^trove: cannot read .*nope\.yaml: no such file or directory\n$/)
})
