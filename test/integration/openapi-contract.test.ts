import dc from 'node:diagnostics_channel'
import { readFileSync } from 'node:fs'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { parseDocument } from 'yaml'
import { buildApp } from '../../src/app.js'
import { prepareApiKey } from '../../src/services/api-keys-service.js'
import type { Store } from '../../src/store/store.js'
import { openTrove, type OpenedTrove } from '../../src/trove.js'

/**
 * openapi.yaml is the contract: every operation it lists is a route with the same operationId,
 * every route is in it, and every answer the app gives has a status the operation declares, a
 * JSON body its schema accepts, and the headers it marks as required.
 */

const TEST_KEY = 'contract-test-key-0123456789abcd'
const AUTH = { authorization: `Bearer ${TEST_KEY}` }
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const

interface SpecHeader { required?: boolean, schema: object }
interface SpecResponse {
  description: string
  headers?: Record<string, SpecHeader>
  content?: Record<string, { schema: object }>
}
interface SpecOperation {
  operationId: string
  parameters?: { name: string, in: string, required?: boolean }[]
  responses: Record<string, SpecResponse>
}
interface Operation {
  method: string
  path: string
  /** the same path in Fastify's syntax: {name} becomes :name */
  url: string
  spec: SpecOperation
}
interface Route {
  method: string
  url: string
  operationId: unknown
}

// ---------------------------------------------------------------------------------------------
// The spec, with every local $ref replaced by what it points at

const specText = readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8')
const specDocument = parseDocument(specText, { uniqueKeys: true, prettyErrors: true })
const rawSpec = specDocument.toJS() as Record<string, unknown>

function pointer (ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are expected: ${ref}`)
  let node: unknown = rawSpec
  for (const part of ref.slice(2).split('/')) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~')
    if (node === null || typeof node !== 'object' || !(key in node)) throw new Error(`$ref does not resolve: ${ref}`)
    node = (node as Record<string, unknown>)[key]
  }
  return node
}

function deref (node: unknown, seen: readonly string[] = []): unknown {
  if (Array.isArray(node)) return node.map(item => deref(item, seen))
  if (node === null || typeof node !== 'object') return node
  const ref = (node as { $ref?: unknown }).$ref
  if (typeof ref === 'string') {
    if (seen.includes(ref)) throw new Error(`$ref cycle: ${[...seen, ref].join(' -> ')}`)
    return deref(pointer(ref), [...seen, ref])
  }
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, deref(value, seen)]))
}

const spec = deref(rawSpec) as {
  openapi: string
  info: { title: string, version: string }
  security?: Record<string, string[]>[]
  paths: Record<string, Record<string, unknown>>
  components: { securitySchemes: Record<string, { type: string, scheme?: string, description?: string }> }
}

const operations: Operation[] = Object.entries(spec.paths).flatMap(([path, item]) =>
  METHODS.filter(method => item[method] !== undefined).map(method => {
    const shared = (item.parameters ?? []) as NonNullable<SpecOperation['parameters']>
    const op = item[method] as SpecOperation
    return {
      method: method.toUpperCase(),
      path,
      url: path.replace(/\{([^}]+)\}/g, ':$1'),
      spec: { ...op, parameters: [...shared, ...(op.parameters ?? [])] }
    }
  }))
const byId = new Map(operations.map(op => [op.spec.operationId, op]))

// Strict, so a typo in a schema keyword of the spec fails here rather than validating nothing.
const ajv = new Ajv2020({ strict: true, allErrors: true })
addFormats.default(ajv)
const validators = new Map<object, ValidateFunction>()
function validatorFor (schema: object): ValidateFunction {
  let validate = validators.get(schema)
  if (validate === undefined) {
    validate = ajv.compile(schema)
    validators.set(schema, validate)
  }
  return validate
}

// ---------------------------------------------------------------------------------------------
// The app, built the way server.ts builds it, with every route it registers recorded

/**
 * buildApp registers its routes before it returns, and Fastify 5's findRoute() gives back no
 * route config, so the routes are recorded by an onRoute hook added through Fastify's documented
 * 'fastify.initialization' diagnostics channel: it runs on the new instance before any plugin.
 */
async function buildRecordedApp (trove: OpenedTrove, store: Store = trove.store): Promise<{ app: FastifyInstance, routes: Route[] }> {
  const routes: Route[] = []
  const onInit = (message: unknown): void => {
    const { fastify } = message as { fastify: FastifyInstance }
    fastify.addHook('onRoute', route => {
      const methods = Array.isArray(route.method) ? route.method : [route.method]
      for (const method of methods) {
        routes.push({ method, url: route.url, operationId: (route.config as { operationId?: unknown } | undefined)?.operationId })
      }
    })
  }
  dc.subscribe('fastify.initialization', onInit)
  try {
    const app = await buildApp({ trove: { ...trove, store } })
    await app.ready()
    return { app, routes }
  } finally {
    dc.unsubscribe('fastify.initialization', onInit)
  }
}

const trove = await openTrove({ dataDir: '.', dbPath: ':memory:', bootstrapKey: TEST_KEY }, { warn () {} })
const { app, routes } = await buildRecordedApp(trove)

/** A second app over its own store whose methods a test may replace, for the 5xx answers. */
const faults: Partial<Store> = {}
const faultyTrove = await openTrove({ dataDir: '.', dbPath: ':memory:', bootstrapKey: TEST_KEY }, { warn () {} })
const faultyStore = new Proxy(faultyTrove.store, {
  get (target, property, receiver) {
    const fault = faults[property as keyof Store]
    return fault ?? Reflect.get(target, property, receiver)
  }
})
const { app: faultyApp } = await buildRecordedApp(faultyTrove, faultyStore)

t.teardown(async () => {
  await app.close()
  await faultyApp.close()
  await trove.close()
  await faultyTrove.close()
})

function sqliteError (code: string): Error {
  return Object.assign(new Error(`simulated ${code}`), { code })
}

// ---------------------------------------------------------------------------------------------
// One request checked against the contract

/** status codes seen per operation, for the coverage test at the end */
const seen = new Map<string, Set<number>>()

interface Expect {
  status: number
  code?: string
  target?: FastifyInstance
}

async function call (
  tt: Test, operationId: string, request: InjectOptions, expect: Expect
): Promise<Record<string, unknown>> {
  const op = byId.get(operationId)
  if (op === undefined) throw new Error(`no operation ${operationId} in openapi.yaml`)
  const res: LightMyRequestResponse = await (expect.target ?? app).inject(request)
  const label = `${operationId} ${request.method} ${String(request.url).slice(0, 80)}`
  tt.equal(res.statusCode, expect.status, `${label}: status`)
  const statuses = seen.get(operationId) ?? new Set<number>()
  statuses.add(res.statusCode)
  seen.set(operationId, statuses)

  const declared = op.spec.responses[String(res.statusCode)]
  if (declared === undefined) {
    tt.fail(`${label}: status ${res.statusCode} is not declared for ${operationId}`, { body: res.body })
    return {}
  }
  tt.match(res.headers['content-type'], /^application\/json\b/, `${label}: content-type`)
  const media = declared.content?.['application/json']
  if (media === undefined) {
    tt.fail(`${label}: ${res.statusCode} declares no application/json content`)
    return {}
  }
  const body = res.json() as Record<string, unknown>
  const validate = validatorFor(media.schema)
  tt.ok(validate(body), `${label}: body matches the ${res.statusCode} schema`, {
    errors: ajv.errorsText(validate.errors), body
  })
  for (const [name, header] of Object.entries(declared.headers ?? {})) {
    const value = res.headers[name.toLowerCase()]
    if (header.required === true) tt.not(value, undefined, `${label}: ${name} header is present`)
    if (value !== undefined) {
      const validateHeader = validatorFor(header.schema)
      tt.ok(validateHeader(value), `${label}: ${name} header matches its schema`, { value })
    }
  }
  if (expect.code !== undefined) tt.equal(body.code, expect.code, `${label}: code`)
  return body
}

// ---------------------------------------------------------------------------------------------

t.test('openapi.yaml is well-formed OpenAPI 3.1', async t => {
  t.same(specDocument.errors.map(e => e.message), [], 'YAML parses without errors')
  t.same(specDocument.warnings.map(e => e.message), [], 'YAML parses without warnings')
  t.match(spec.openapi, /^3\.1\.\d+$/)
  t.ok(spec.info.title, 'info.title')
  t.ok(spec.info.version, 'info.version')
  t.strictSame(spec.security, [{ BearerAuth: [] }], 'the API key is required unless an operation says otherwise')
  const bearer = spec.components.securitySchemes.BearerAuth
  t.equal(bearer?.type, 'http')
  t.equal(bearer?.scheme, 'bearer')
  t.match(bearer?.description ?? '', /Api-Key <api_key>/, 'the legacy scheme is documented')
  t.match(bearer?.description ?? '', /case-insensitive/, 'case-insensitivity is documented')

  const ids = operations.map(op => op.spec.operationId)
  t.equal(new Set(ids).size, ids.length, 'operationIds are unique')
  for (const op of operations) {
    t.match(op.spec.operationId, /^[a-z][A-Za-z]+$/, `${op.method} ${op.path} has an operationId`)
    const templated = [...op.path.matchAll(/\{([^}]+)\}/g)].map(match => match[1])
    const declared = (op.spec.parameters ?? []).filter(p => p.in === 'path')
    t.strictSame(declared.map(p => p.name).sort(), templated.sort(), `${op.spec.operationId}: path parameters are declared`)
    t.ok(declared.every(p => p.required === true), `${op.spec.operationId}: path parameters are required`)
    for (const [status, response] of Object.entries(op.spec.responses)) {
      t.match(status, /^[1-5]\d\d$/, `${op.spec.operationId} ${status} is a status code`)
      t.ok(response.description, `${op.spec.operationId} ${status} has a description`)
      for (const media of Object.values(response.content ?? {})) {
        t.doesNotThrow(() => validatorFor(media.schema), `${op.spec.operationId} ${status}: schema compiles`)
      }
    }
  }
  t.doesNotThrow(() => deref(rawSpec), 'every $ref resolves')
})

t.test('every operation in the spec is a route with its operationId', async t => {
  for (const op of operations) {
    t.ok(app.hasRoute({ method: op.method as 'GET', url: op.url }), `${op.method} ${op.url} is registered`)
    const route = routes.find(r => r.method === op.method && r.url === op.url)
    t.equal(route?.operationId, op.spec.operationId, `${op.method} ${op.url}: config.operationId`)
  }
})

t.test('every route is in the spec with the same operationId', async t => {
  // HEAD routes are Fastify's automatic twins of GET routes, and "/prefix/" twins of "/prefix":
  // neither is an operation of its own.
  const canonical = (url: string): string => url.length > 1 && url.endsWith('/') ? url.slice(0, -1) : url
  for (const route of routes) {
    const url = canonical(route.url)
    if (route.method === 'HEAD') {
      t.ok(routes.some(r => r.method === 'GET' && canonical(r.url) === url), `HEAD ${route.url} mirrors a GET`)
      continue
    }
    const op = operations.find(o => o.method === route.method && o.url === url)
    t.ok(op, `${route.method} ${route.url} is in openapi.yaml`)
    t.equal(route.operationId, op?.spec.operationId, `${route.method} ${route.url}: operationId matches the spec`)
  }
  t.equal(routes.filter(r => r.method !== 'HEAD' && !(r.url.length > 1 && r.url.endsWith('/'))).length, operations.length,
    'as many routes as operations')

  // and what no route serves is the documented not_found answer
  const notFound = rawSpec.components as { responses: Record<string, unknown> }
  const schema = (deref(notFound.responses.RouteNotFound) as SpecResponse).content?.['application/json']?.schema ?? {}
  const probes: InjectOptions[] = [
    { method: 'PUT', url: '/v1/secrets/my_secret' },
    { method: 'PATCH', url: '/v1/secrets/my_secret' },
    { method: 'DELETE', url: '/v1/secrets' },
    { method: 'POST', url: '/v1/teams' },
    { method: 'GET', url: '/v1/secrets/my_secret/value/extra' },
    { method: 'GET', url: '/v1/teams/some_team' },
    { method: 'OPTIONS', url: '/v1/secrets' },
    { method: 'GET', url: '/v2/secrets' },
    { method: 'GET', url: '/' }
  ]
  for (const probe of probes) {
    const res = await app.inject({ ...probe, headers: AUTH })
    t.equal(res.statusCode, 404, `${probe.method} ${probe.url} is 404`)
    t.match(res.headers['content-type'], /^application\/json\b/)
    t.ok(validatorFor(schema)(res.json()), `${probe.method} ${probe.url} answers RouteNotFound`, { body: res.body })
  }
})

t.test('health probes', async t => {
  await call(t, 'health', { method: 'GET', url: '/healthz' }, { status: 200 })
  await call(t, 'ready', { method: 'GET', url: '/readyz' }, { status: 200 })
  faults.ping = async () => { throw sqliteError('SQLITE_IOERR') }
  t.teardown(() => { delete faults.ping })
  await call(t, 'ready', { method: 'GET', url: '/readyz' }, { status: 503, code: 'not_ready', target: faultyApp })
})

t.test('authentication', async t => {
  await call(t, 'listTeams', { method: 'GET', url: '/v1/teams' }, { status: 401, code: 'missing_api_key' })
  await call(t, 'listTeams', { method: 'GET', url: '/v1/teams', headers: { authorization: 'Bearer not-a-known-key-000000000000' } },
    { status: 401, code: 'invalid_api_key' })
  await call(t, 'listTeams', { method: 'GET', url: '/v1/teams', headers: { authorization: `Basic ${TEST_KEY}` } },
    { status: 401, code: 'invalid_authorization_header' })
  for (const scheme of ['Bearer', 'bearer', 'Api-Key', 'API-KEY', 'api-key']) {
    await call(t, 'listTeams', { method: 'GET', url: '/v1/teams', headers: { authorization: `${scheme} ${TEST_KEY}` } }, { status: 200 })
  }
  // every /v1 operation needs a key, and refuses before reading the body
  const paths: Record<string, string> = { '{team_id}': 'team_x', '{secret_name}': 'my_secret' }
  for (const op of operations.filter(o => o.path.startsWith('/v1/'))) {
    const url = op.path.replace(/\{[^}]+\}/g, param => paths[param] ?? 'x')
    await call(t, op.spec.operationId, { method: op.method as 'GET', url, payload: op.method === 'POST' ? 'not json' : undefined },
      { status: 401, code: 'missing_api_key' })
  }
})

t.test('secrets of the primary team', async t => {
  const created = await call(t, 'upsertSecret', {
    method: 'POST', url: '/v1/secrets', headers: { ...AUTH, 'content-type': 'application/json' }, payload: { name: 'hf_access_token', value: 'line 1\nline 2\n' }
  }, { status: 200 })
  t.equal(created.name, 'hf_access_token')
  t.equal(created.team_name, 'default')

  // Baseten's curl example: --data with no JSON content type
  const updated = await call(t, 'upsertSecret', {
    method: 'POST', url: '/v1/secrets', headers: { ...AUTH, 'content-type': 'application/x-www-form-urlencoded' }, payload: '{"name": "hf-access-token", "value": "v2"}'
  }, { status: 200 })
  t.equal(updated.id, created.id, 'a name that differs only in punctuation is the same secret')
  t.equal(updated.created_at, created.created_at, 'created_at does not change on update')
  t.equal(updated.name, 'hf_access_token', 'the name first stored is kept')
  t.equal(updated.version, 2)
  await call(t, 'upsertSecret', { method: 'POST', url: '/v1/secrets', headers: AUTH, payload: '{"name":"multi","value":"-----BEGIN KEY-----\\nabc\\n-----END KEY-----\\n"}' },
    { status: 200 })
  await call(t, 'upsertSecret', { method: 'POST', url: '/v1/secrets', headers: AUTH, payload: { name: 'max', value: 'é'.repeat(32768) } },
    { status: 200 })

  const list = await call(t, 'listSecrets', { method: 'GET', url: '/v1/secrets', headers: AUTH }, { status: 200 })
  const names = (list.secrets as { name: string }[]).map(s => s.name)
  t.strictSame(names.slice().sort(), ['hf_access_token', 'max', 'multi'])
  t.notMatch(JSON.stringify(list), /line 1|BEGIN KEY/, 'a list holds no value')

  await call(t, 'getSecret', { method: 'GET', url: '/v1/secrets/hf.access.token', headers: AUTH }, { status: 200 })
  const value = await call(t, 'getSecretValue', { method: 'GET', url: '/v1/secrets/multi/value', headers: AUTH }, { status: 200 })
  t.equal(value.value, '-----BEGIN KEY-----\nabc\n-----END KEY-----\n', 'multi-line values keep their line breaks')

  const tombstone = await call(t, 'deleteSecret', { method: 'DELETE', url: '/v1/secrets/hf-access-token', headers: AUTH }, { status: 200 })
  t.strictSame(tombstone, { name: 'hf_access_token' })
  await call(t, 'deleteSecret', { method: 'DELETE', url: '/v1/secrets/hf-access-token', headers: AUTH }, { status: 404, code: 'secret_not_found' })
  await call(t, 'getSecret', { method: 'GET', url: '/v1/secrets/hf_access_token', headers: AUTH }, { status: 404, code: 'secret_not_found' })
  await call(t, 'getSecretValue', { method: 'GET', url: '/v1/secrets/hf_access_token/value', headers: AUTH }, { status: 404, code: 'secret_not_found' })
})

t.test('bad requests on the primary team', async t => {
  const upsert = (payload: string | object, headers: Record<string, string> = {}): InjectOptions =>
    ({ method: 'POST', url: '/v1/secrets', headers: { ...AUTH, ...headers }, payload })
  await call(t, 'upsertSecret', upsert({ name: 'a b', value: 'v' }), { status: 400, code: 'invalid_name' })
  await call(t, 'upsertSecret', upsert({ name: '..', value: 'v' }), { status: 400, code: 'invalid_name' })
  await call(t, 'upsertSecret', upsert({ name: '', value: 'v' }), { status: 400, code: 'invalid_name' })
  await call(t, 'upsertSecret', upsert({ name: 'n'.repeat(254), value: 'v' }), { status: 400, code: 'invalid_name' })
  await call(t, 'upsertSecret', upsert({ name: 'only_a_name' }), { status: 400, code: 'invalid_body' })
  await call(t, 'upsertSecret', upsert({ name: 'n', value: 42 }), { status: 400, code: 'invalid_body' })
  await call(t, 'upsertSecret', upsert('["name", "value"]'), { status: 400, code: 'invalid_body' })
  await call(t, 'upsertSecret', upsert(''), { status: 400, code: 'invalid_body' })
  await call(t, 'upsertSecret', upsert('{"name": "n", "value": "\\ud800"}'), { status: 400, code: 'invalid_body' })
  await call(t, 'upsertSecret', upsert('{"name": "n",', { 'content-type': 'application/json' }), { status: 400, code: 'invalid_json' })
  await call(t, 'upsertSecret', upsert('name=n&value=v', { 'content-type': 'application/x-www-form-urlencoded' }),
    { status: 415, code: 'unsupported_media_type' })
  await call(t, 'upsertSecret', upsert({ name: 'n', value: 'a'.repeat(65537) }), { status: 413, code: 'value_too_large' })
  await call(t, 'upsertSecret', upsert({ name: 'n', value: 'é'.repeat(32768) + 'a' }), { status: 413, code: 'value_too_large' })
  await call(t, 'upsertSecret', upsert({ name: 'n', value: 'a'.repeat(1024 * 1024) }), { status: 413, code: 'body_too_large' })

  await call(t, 'getSecret', { method: 'GET', url: '/v1/secrets/a%20b', headers: AUTH }, { status: 400, code: 'invalid_name' })
  await call(t, 'getSecret', { method: 'GET', url: `/v1/secrets/${'n'.repeat(254)}`, headers: AUTH }, { status: 400, code: 'invalid_name' })
  await call(t, 'getSecret', { method: 'GET', url: '/v1/secrets/%E0%A4%A', headers: AUTH }, { status: 400, code: 'bad_url' })
  await call(t, 'getSecret', { method: 'GET', url: `/v1/secrets/${'n'.repeat(1100)}`, headers: AUTH }, { status: 414, code: 'uri_too_long' })
  await call(t, 'getSecretValue', { method: 'GET', url: '/v1/secrets/a%2Fb/value', headers: AUTH }, { status: 400, code: 'invalid_name' })
  await call(t, 'deleteSecret', { method: 'DELETE', url: '/v1/secrets/a%20b', headers: AUTH }, { status: 400, code: 'invalid_name' })
  await call(t, 'deleteSecret', { method: 'DELETE', url: '/v1/secrets/n', headers: AUTH, payload: 'name=n' },
    { status: 415, code: 'unsupported_media_type' })
  await call(t, 'deleteSecret', { method: 'DELETE', url: '/v1/secrets/n', headers: { ...AUTH, 'content-type': 'application/json' }, payload: '{' },
    { status: 400, code: 'invalid_json' })
  await call(t, 'deleteSecret', { method: 'DELETE', url: '/v1/secrets/n', headers: AUTH, payload: { pad: 'a'.repeat(1024 * 1024) } },
    { status: 413, code: 'body_too_large' })
  await call(t, 'getSecretValue', { method: 'GET', url: `/v1/secrets/${'n'.repeat(1100)}/value`, headers: AUTH },
    { status: 414, code: 'uri_too_long' })
})

t.test('a key with no team', async t => {
  const key = 'contract-no-team-key-0123456789a'
  const { record } = prepareApiKey(trove.keyring, { name: 'no team', scopes: [], teams: [], key }, new Date())
  await trove.store.insertApiKey(record)
  const headers = { authorization: `Api-Key ${key}` }
  await call(t, 'upsertSecret', { method: 'POST', url: '/v1/secrets', headers, payload: { name: 'n', value: 'v' } },
    { status: 404, code: 'team_not_found' })
  await call(t, 'getSecret', { method: 'GET', url: '/v1/secrets/n', headers }, { status: 404, code: 'team_not_found' })
  const teams = await call(t, 'listTeams', { method: 'GET', url: '/v1/teams', headers }, { status: 200 })
  t.strictSame(teams, { teams: [] })
  const list = await call(t, 'listSecrets', { method: 'GET', url: '/v1/secrets', headers }, { status: 200 })
  t.strictSame(list, { secrets: [] }, 'an empty list is {"secrets": []}')
  const base = `/v1/teams/${(await trove.store.listTeams())[0]?.id ?? 'none'}/secrets`
  await call(t, 'listTeamSecrets', { method: 'GET', url: base, headers }, { status: 404, code: 'team_not_found' })
})

t.test('secrets of a named team', async t => {
  const teams = await call(t, 'listTeams', { method: 'GET', url: '/v1/teams', headers: AUTH }, { status: 200 })
  const team = (teams.teams as { id: string, name: string }[]).find(x => x.name === 'default')
  if (team === undefined) throw new Error('no default team')
  const base = `/v1/teams/${team.id}/secrets`

  const created = await call(t, 'upsertTeamSecret', { method: 'POST', url: base, headers: AUTH, payload: { name: 'ml-token', value: 's3cret' } }, { status: 200 })
  t.equal(created.team_name, 'default')
  const list = await call(t, 'listTeamSecrets', { method: 'GET', url: base, headers: AUTH }, { status: 200 })
  t.ok((list.secrets as { name: string }[]).some(s => s.name === 'ml-token'))
  await call(t, 'getTeamSecret', { method: 'GET', url: `${base}/ml_token`, headers: AUTH }, { status: 200 })
  const value = await call(t, 'getTeamSecretValue', { method: 'GET', url: `${base}/ml-token/value`, headers: AUTH }, { status: 200 })
  t.equal(value.value, 's3cret')
  await call(t, 'deleteTeamSecret', { method: 'DELETE', url: `${base}/ml-token`, headers: AUTH }, { status: 200 })

  await call(t, 'getTeamSecret', { method: 'GET', url: `${base}/ml-token`, headers: AUTH }, { status: 404, code: 'secret_not_found' })
  await call(t, 'getTeamSecretValue', { method: 'GET', url: `${base}/ml-token/value`, headers: AUTH }, { status: 404, code: 'secret_not_found' })
  await call(t, 'deleteTeamSecret', { method: 'DELETE', url: `${base}/ml-token`, headers: AUTH }, { status: 404, code: 'secret_not_found' })
  await call(t, 'getTeamSecret', { method: 'GET', url: `${base}/a%20b`, headers: AUTH }, { status: 400, code: 'invalid_name' })
  await call(t, 'getTeamSecretValue', { method: 'GET', url: `${base}/..%2F/value`, headers: AUTH }, { status: 400, code: 'invalid_name' })
  await call(t, 'deleteTeamSecret', { method: 'DELETE', url: `${base}/n`, headers: { ...AUTH, 'content-type': 'application/json' }, payload: '{' },
    { status: 400, code: 'invalid_json' })
  await call(t, 'upsertTeamSecret', { method: 'POST', url: base, headers: AUTH, payload: { value: 'v' } }, { status: 400, code: 'invalid_body' })
  await call(t, 'upsertTeamSecret', { method: 'POST', url: base, headers: AUTH, payload: { name: 'n', value: 'a'.repeat(65537) } },
    { status: 413, code: 'value_too_large' })
  await call(t, 'upsertTeamSecret', { method: 'POST', url: base, headers: AUTH, payload: 'name=n&value=v' },
    { status: 415, code: 'unsupported_media_type' })

  const unknown = '/v1/teams/team_doesnotexist/secrets'
  await call(t, 'upsertTeamSecret', { method: 'POST', url: unknown, headers: AUTH, payload: { name: 'n', value: 'v' } }, { status: 404, code: 'team_not_found' })
  await call(t, 'listTeamSecrets', { method: 'GET', url: unknown, headers: AUTH }, { status: 404, code: 'team_not_found' })
  await call(t, 'getTeamSecret', { method: 'GET', url: `${unknown}/n`, headers: AUTH }, { status: 404, code: 'team_not_found' })
  await call(t, 'getTeamSecretValue', { method: 'GET', url: `${unknown}/n/value`, headers: AUTH }, { status: 404, code: 'team_not_found' })
  await call(t, 'deleteTeamSecret', { method: 'DELETE', url: `${unknown}/n`, headers: AUTH }, { status: 404, code: 'team_not_found' })
  await call(t, 'listTeamSecrets', { method: 'GET', url: '/v1/teams/%E0%A4%A/secrets', headers: AUTH }, { status: 400, code: 'bad_url' })
  await call(t, 'listTeamSecrets', { method: 'GET', url: `/v1/teams/${'t'.repeat(1100)}/secrets`, headers: AUTH },
    { status: 414, code: 'uri_too_long' })
})

t.test('storage failures', async t => {
  const target = faultyApp
  t.teardown(() => {
    for (const key of Object.keys(faults)) delete faults[key as keyof Store]
  })
  await call(t, 'upsertSecret', { method: 'POST', url: '/v1/secrets', headers: AUTH, payload: { name: 'kept', value: 'v' } }, { status: 200, target })
  const teams = await call(t, 'listTeams', { method: 'GET', url: '/v1/teams', headers: AUTH }, { status: 200, target })
  const teamId = (teams.teams as { id: string }[])[0]?.id ?? 'none'

  faults.upsertSecret = async () => { throw sqliteError('SQLITE_FULL') }
  await call(t, 'upsertSecret', { method: 'POST', url: '/v1/secrets', headers: AUTH, payload: { name: 'n', value: 'v' } },
    { status: 507, code: 'storage_full', target })
  await call(t, 'upsertTeamSecret', { method: 'POST', url: `/v1/teams/${teamId}/secrets`, headers: AUTH, payload: { name: 'n', value: 'v' } },
    { status: 507, code: 'storage_full', target })
  faults.upsertSecret = async () => { throw sqliteError('SQLITE_BUSY') }
  await call(t, 'upsertSecret', { method: 'POST', url: '/v1/secrets', headers: AUTH, payload: { name: 'n', value: 'v' } },
    { status: 503, code: 'storage_busy', target })
  faults.deleteSecret = async () => { throw sqliteError('SQLITE_FULL') }
  await call(t, 'deleteSecret', { method: 'DELETE', url: '/v1/secrets/kept', headers: AUTH }, { status: 507, code: 'storage_full', target })

  faults.readVersion = async () => undefined
  await call(t, 'getSecretValue', { method: 'GET', url: '/v1/secrets/kept/value', headers: AUTH }, { status: 500, code: 'integrity_error', target })
  faults.readVersion = async (secretId, version) => {
    const stored = await faultyTrove.store.readVersion(secretId, version)
    if (stored === undefined) return undefined
    const blob = Buffer.from(stored.blob)
    blob[blob.length - 1] = (blob[blob.length - 1] ?? 0) ^ 0xff
    return { ...stored, blob }
  }
  await call(t, 'getSecretValue', { method: 'GET', url: '/v1/secrets/kept/value', headers: AUTH }, { status: 500, code: 'integrity_error', target })

  faults.listSecrets = async () => { throw new Error('unexpected') }
  await call(t, 'listSecrets', { method: 'GET', url: '/v1/secrets', headers: AUTH }, { status: 500, code: 'internal_error', target })
  faults.listTeams = async () => { throw sqliteError('SQLITE_BUSY') }
  await call(t, 'listTeams', { method: 'GET', url: '/v1/teams', headers: AUTH }, { status: 503, code: 'storage_busy', target })
})

t.test('every operation was driven on its success path and on an error path', async t => {
  for (const op of operations) {
    const statuses = [...(seen.get(op.spec.operationId) ?? [])].sort()
    t.ok(statuses.some(s => s >= 200 && s < 300), `${op.spec.operationId} answered 2xx`)
    t.ok(op.spec.operationId === 'health' || statuses.some(s => s >= 400), `${op.spec.operationId} answered an error`)
    const untested = Object.keys(op.spec.responses).filter(s => !statuses.includes(Number(s)))
    if (untested.length > 0) t.comment(`${op.spec.operationId}: declared but not driven here: ${untested.join(', ')}`)
  }
})
