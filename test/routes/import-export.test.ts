import t from 'tap'
import { buildTestApp } from '../fixtures/app.js'

type Call = Awaited<ReturnType<typeof buildTestApp>>['call']
const importFile = (call: Call, format: string, payload: string, dryRun = false) =>
  call({ method: 'POST', url: `/v1/secrets/import?format=${format}${dryRun ? '&dry_run=true' : ''}`, payload, headers: { 'content-type': 'text/plain' } })

const awkward: Record<string, string> = {
  MULTI_LINE: '-----BEGIN KEY-----\nabc\r\ndef\n-----END KEY-----\n',
  HASH_AND_EQUALS: 'a#b=c # not a comment',
  QUOTES: 'it\'s "quoted" and `ticked`',
  TRAILING_BACKSLASH: 'ends with \\',
  LITERAL_BACKSLASH_N: 'not a newline: \\n',
  DOLLAR: '$HOME and $' + '{PATH}',
  SPACES: '  padded  ',
  EMPTY: '',
  LOOKS_LIKE_NUMBER: '007',
  LOOKS_LIKE_BOOL: 'true',
  UNICODE: 'ключ 🔑'
}

t.test('import plans, applies in one go, and reports per secret', async t => {
  const { call } = await buildTestApp(t)
  await call({ method: 'POST', url: '/v1/secrets', payload: { name: 'EXISTING', value: 'old' } })
  await call({ method: 'POST', url: '/v1/secrets', payload: { name: 'SAME', value: 'same' } })
  const file = 'EXISTING=new\nSAME=same\nFRESH="fresh value"\n'
  const dry = await importFile(call, 'dotenv', file, true)
  t.equal(dry.statusCode, 200)
  t.same(dry.json(), {
    plan: [{ name: 'EXISTING', action: 'update' }, { name: 'SAME', action: 'unchanged' }, { name: 'FRESH', action: 'create' }],
    applied: false
  })
  t.equal((await call({ method: 'GET', url: '/v1/secrets/FRESH' })).statusCode, 404, 'a dry run writes nothing')
  const real = await importFile(call, 'dotenv', file)
  t.equal(real.json().applied, true)
  t.equal((await call({ method: 'GET', url: '/v1/secrets/EXISTING/value' })).json().value, 'new')
  t.equal((await call({ method: 'GET', url: '/v1/secrets/FRESH/value' })).json().value, 'fresh value')
  t.equal((await call({ method: 'GET', url: '/v1/secrets/SAME' })).json().version, 1, 'unchanged made no version')
})

t.test('an import with any invalid entry is refused whole, listing every problem', async t => {
  const { call } = await buildTestApp(t)
  const file = JSON.stringify({ good: 'v', 'bad name': 'v', number: 5, 'dup-key': 'a', dup_key: 'b', big: 'x'.repeat(65537) })
  const res = await importFile(call, 'json', file)
  t.equal(res.statusCode, 400)
  const body = res.json()
  t.equal(body.code, 'invalid_import')
  t.equal(body.applied, false)
  const invalid = body.plan.filter((item: { action: string }) => item.action === 'invalid').map((item: { name: string }) => item.name).sort()
  t.same(invalid, ['bad name', 'big', 'dup_key', 'number'])
  for (const item of body.plan) if (item.action === 'invalid') t.type(item.reason, 'string')
  t.same((await call({ method: 'GET', url: '/v1/secrets' })).json(), { secrets: [] }, 'nothing was written')
})

t.test('export → import round-trips awkward values as a no-op plan, in every format', async t => {
  for (const format of ['dotenv', 'json', 'yaml']) {
    const { call } = await buildTestApp(t)
    for (const [name, value] of Object.entries(awkward)) await call({ method: 'POST', url: '/v1/secrets', payload: { name, value } })
    const exported = await call({ method: 'GET', url: `/v1/secrets/export?format=${format}` })
    t.equal(exported.statusCode, 200, format)
    t.equal(exported.headers['cache-control'], 'no-store')
    const plan = (await importFile(call, format, exported.body, true)).json().plan
    t.equal(plan.length, Object.keys(awkward).length, `${format}: every secret in the file`)
    t.ok(plan.every((item: { action: string }) => item.action === 'unchanged'), `${format}: re-importing changes nothing`)

    const { call: fresh } = await buildTestApp(t)
    t.equal((await importFile(fresh, format, exported.body)).json().applied, true)
    for (const [name, value] of Object.entries(awkward)) {
      t.equal((await fresh({ method: 'GET', url: `/v1/secrets/${name}/value` })).json().value, value, `${format}: ${name}`)
    }
  }
})

t.test('bad formats, bodies and sizes', async t => {
  const { call } = await buildTestApp(t)
  t.equal((await importFile(call, 'toml', 'A=1')).json().code, 'invalid_format')
  t.equal((await call({ method: 'GET', url: '/v1/secrets/export?format=xml' })).statusCode, 400)
  t.equal((await call({ method: 'POST', url: '/v1/secrets/import?format=dotenv&dry_run=maybe', payload: 'A=1' })).statusCode, 400)
  const yamlList = await importFile(call, 'yaml', '- a\n- b\n')
  t.equal(yamlList.statusCode, 400)
  const huge = await importFile(call, 'dotenv', 'A=' + 'x'.repeat(2 * 1024 * 1024))
  t.equal(huge.statusCode, 413)
  for (const dryRun of [false, true]) {
    const notUtf8 = await call({ method: 'POST', url: `/v1/secrets/import?format=dotenv&dry_run=${String(dryRun)}`, payload: Buffer.from('GOOD=1\nRAW="a\xffb"\n', 'latin1'), headers: { 'content-type': 'text/plain' } })
    t.equal(notUtf8.statusCode, 400, `a file that is not UTF-8 (dry run: ${String(dryRun)})`)
    t.match(notUtf8.json(), { code: 'invalid_body', message: /not valid UTF-8/ })
  }
  t.same((await call({ method: 'GET', url: '/v1/secrets' })).json(), { secrets: [] })
})

t.test('a dry run does not tell a key that may not read values whether a value matches', async t => {
  const { call } = await buildTestApp(t)
  await call({ method: 'POST', url: '/v1/secrets', payload: { name: 'TOKEN', value: 'the-right-guess' } })
  const writer = (await call({ method: 'POST', url: '/v1/api_keys', payload: { name: 'writer', scopes: ['secrets:write'] } })).json().key as string
  const planOf = async (value: string, key?: string) => {
    const res = await call({ method: 'POST', url: '/v1/secrets/import?format=dotenv&dry_run=true', payload: `TOKEN=${value}\nNEW=1\n`, headers: { 'content-type': 'text/plain' }, key })
    t.equal(res.statusCode, 200)
    return (res.json().plan as { name: string, action: string }[]).map(item => `${item.name}:${item.action}`)
  }
  t.same(await planOf('the-right-guess', writer), ['TOKEN:update', 'NEW:create'], 'a right guess')
  t.same(await planOf('a-wrong-guess', writer), ['TOKEN:update', 'NEW:create'], 'looks like a wrong one')
  t.same(await planOf('the-right-guess'), ['TOKEN:unchanged', 'NEW:create'], 'a key that may read values sees unchanged')
  t.same(await planOf('a-wrong-guess'), ['TOKEN:update', 'NEW:create'])
})
