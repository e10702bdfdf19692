import { randomBytes } from 'node:crypto'
import dc from 'node:diagnostics_channel'
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { parseDocument } from 'yaml'
import { buildApp, type BuildAppOptions } from '../../src/app.js'
import { KeyringChanged } from '../../src/errors.js'
import { prepareApiKey } from '../../src/services/api-keys-service.js'
import type { Store } from '../../src/store/store.js'
import { openTrove, type OpenedTrove } from '../../src/trove.js'

/**
 * openapi.yaml is the contract: every operation it lists is a route with the same operationId
 * and scope (`x-trove-scope`), every route is in it, and every answer the app gives has a status
 * the operation declares, a JSON body its schema accepts, and the headers it marks as required.
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
  description?: string
  /** the scope a key needs; null when any valid key may call it; absent outside /v1 */
  'x-trove-scope'?: string | null
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
  scope: unknown
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
  components: {
    securitySchemes: Record<string, { type: string, scheme?: string, description?: string }>
    schemas: Record<string, Record<string, unknown>>
  }
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
async function buildRecordedApp (
  trove: OpenedTrove, store: Store = trove.store, options: Partial<BuildAppOptions> = {}
): Promise<{ app: FastifyInstance, routes: Route[] }> {
  const routes: Route[] = []
  const onInit = (message: unknown): void => {
    const { fastify } = message as { fastify: FastifyInstance }
    fastify.addHook('onRoute', route => {
      const methods = Array.isArray(route.method) ? route.method : [route.method]
      const config = route.config as { operationId?: unknown, scope?: unknown } | undefined
      for (const method of methods) {
        routes.push({ method, url: route.url, operationId: config?.operationId, scope: config?.scope })
      }
    })
  }
  dc.subscribe('fastify.initialization', onInit)
  try {
    const app = await buildApp({ ...options, trove: { ...trove, store } })
    await app.ready()
    return { app, routes }
  } finally {
    dc.unsubscribe('fastify.initialization', onInit)
  }
}

/**
 * The contract tests send far more requests than the limits allow (TROVE_RATE_LIMIT per key per
 * second, TROVE_AUTH_FAILURE_LIMIT failed authentications per address per minute), so their apps
 * lift both; the limits are held to the spec by apps of their own further down.
 */
const UNLIMITED = { rateLimit: 1_000_000, authFailureLimit: 1_000_000 }

const openTestTrove = async (): Promise<OpenedTrove> =>
  await openTrove({ dataDir: '.', dbPath: ':memory:', bootstrapKey: TEST_KEY }, { warn () {} })

const trove = await openTestTrove()
const { app, routes } = await buildRecordedApp(trove, trove.store, UNLIMITED)

/** A second app over its own store whose methods a test may replace, for the 5xx answers. */
const faults: Partial<Store> = {}
const faultyTrove = await openTestTrove()
const faultyStore = new Proxy(faultyTrove.store, {
  get (target, property, receiver) {
    const fault = faults[property as keyof Store]
    return fault ?? Reflect.get(target, property, receiver)
  }
})
const { app: faultyApp } = await buildRecordedApp(faultyTrove, faultyStore, UNLIMITED)

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
  /** what the Content-Type must look like; JSON unless said otherwise */
  contentType?: RegExp
}

interface Checked {
  res: LightMyRequestResponse
  /** the parsed JSON body, or the text of any other media type */
  body: unknown
}

/**
 * Sends one request and holds the answer to the operation's declared responses: the status is
 * declared, the Content-Type is one of its media types, the body matches that media type's
 * schema (parsed for JSON, as text otherwise) and every required header is present and valid.
 */
async function check (tt: Test, operationId: string, request: InjectOptions, expect: Expect): Promise<Checked> {
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
    return { res, body: undefined }
  }
  const contentType = String(res.headers['content-type'] ?? '')
  tt.match(contentType, expect.contentType ?? /^application\/json\b/, `${label}: content-type`)
  const mediaType = (contentType.split(';')[0] ?? '').trim().toLowerCase()
  const media = declared.content?.[mediaType]
  if (media === undefined) {
    tt.fail(`${label}: ${res.statusCode} declares no ${mediaType} content`)
    return { res, body: undefined }
  }
  const body: unknown = mediaType === 'application/json' ? res.json() : res.body
  const validate = validatorFor(media.schema)
  tt.ok(validate(body), `${label}: body matches the ${res.statusCode} ${mediaType} schema`, {
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
  if (expect.code !== undefined) tt.equal((body as { code?: unknown } | undefined)?.code, expect.code, `${label}: code`)
  return { res, body }
}

/** check() for a JSON answer, giving back its body. */
async function call (
  tt: Test, operationId: string, request: InjectOptions, expect: Expect
): Promise<Record<string, unknown>> {
  const { body } = await check(tt, operationId, request, expect)
  return body !== null && typeof body === 'object' ? body as Record<string, unknown> : {}
}

/** The operations behind an API key, which all need one. */
const v1Operations = operations.filter(op => op.path.startsWith('/v1/'))

/** The operation's path with its parameters filled in ('x' for any not given). */
const urlOf = (op: Operation, values: Record<string, string>): string =>
  op.path.replace(/\{([^}]+)\}/g, (_, name: string) => values[name] ?? 'x')

/** Every API key the tests were given, to make sure none ever shows up again. */
const issuedKeys: string[] = []

interface IssuedKey {
  id: string
  key: string
  headers: Record<string, string>
  body: Record<string, unknown>
}

/** Creates an API key through the API (checked against the spec) and gives back its headers. */
async function createKey (tt: Test, payload: Record<string, unknown>, headers: Record<string, string> = AUTH, target?: FastifyInstance): Promise<IssuedKey> {
  const body = await call(tt, 'createApiKey', { method: 'POST', url: '/v1/api_keys', headers, payload }, { status: 200, target })
  const key = String(body.key)
  issuedKeys.push(key)
  return { id: String(body.id), key, headers: { authorization: `Bearer ${key}` }, body }
}

/**
 * Writes a master key file for rekey: 32 random bytes in base64 and mode 0600 unless told
 * otherwise. The mode is set after writing, so the umask changes nothing.
 */
function writeMasterKeyFile (dir: string, name: string, options: { text?: string, mode?: number } = {}): string {
  const file = join(dir, name)
  writeFileSync(file, options.text ?? `${randomBytes(32).toString('base64')}\n`)
  chmodSync(file, options.mode ?? 0o600)
  return file
}

/** What a key file holds, trimmed, or '' when there is none. */
function readKeyText (file: string): string {
  try {
    return readFileSync(file, 'utf8').trim()
  } catch {
    return ''
  }
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

t.test('every /v1 operation declares its scope, 403 insufficient_scope and 429 rate_limited', async t => {
  const scopes = spec.components.schemas.Scope?.enum as string[]
  t.ok(scopes.includes('admin'), 'admin is a scope')
  for (const op of operations) {
    const { operationId } = op.spec
    const scope = op.spec['x-trove-scope']
    if (!op.path.startsWith('/v1/')) {
      t.notOk('x-trove-scope' in op.spec, `${operationId} needs no key, so no scope`)
      continue
    }
    t.ok('x-trove-scope' in op.spec, `${operationId} declares x-trove-scope`)
    const forbidden = op.spec.responses['403']
    const forbiddenBody = forbidden?.content?.['application/json']?.schema
    if (scope === null) {
      t.match(op.spec.description ?? '', /any valid API key/i, `${operationId}: the description says any key may call it`)
      t.ok(forbiddenBody === undefined || !validatorFor(forbiddenBody)({ error: 'Forbidden', message: 'm', code: 'insufficient_scope' }),
        `${operationId}: no insufficient_scope for an operation without a scope`)
    } else {
      t.ok(scope !== undefined && scopes.includes(scope), `${operationId}: x-trove-scope is a scope`)
      t.equal(scope === 'admin', op.path.startsWith('/v1/sys/'), `${operationId}: only the /v1/sys operations need admin itself`)
      t.ok((op.spec.description ?? '').includes(`\`${String(scope)}\``), `${operationId}: the description names \`${String(scope)}\``)
      t.ok(forbiddenBody !== undefined && validatorFor(forbiddenBody)({ error: 'Forbidden', message: 'm', code: 'insufficient_scope' }),
        `${operationId}: 403 insufficient_scope is declared`)
      t.ok(forbidden?.headers?.['WWW-Authenticate'] !== undefined, `${operationId}: the 403 declares WWW-Authenticate`)
    }
    const limited = op.spec.responses['429']
    const limitedBody = limited?.content?.['application/json']?.schema
    const rateLimited = { error: 'Rate limit exceeded. Please try again later.', message: 'm', code: 'rate_limited', retry_after: 1 }
    t.ok(limitedBody !== undefined && validatorFor(limitedBody)(rateLimited), `${operationId}: 429 rate_limited is declared`)
    t.notOk(limitedBody !== undefined && validatorFor(limitedBody)({ ...rateLimited, error: 'Too Many Requests' }),
      `${operationId}: the 429 error field is Baseten's text`)
    t.equal(limited?.headers?.['Retry-After']?.required, true, `${operationId}: the 429 requires Retry-After`)
  }
})

t.test('every operation in the spec is a route with its operationId', async t => {
  for (const op of operations) {
    t.ok(app.hasRoute({ method: op.method as 'GET', url: op.url }), `${op.method} ${op.url} is registered`)
    const route = routes.find(r => r.method === op.method && r.url === op.url)
    t.equal(route?.operationId, op.spec.operationId, `${op.method} ${op.url}: config.operationId`)
    t.equal(route?.scope, op.spec['x-trove-scope'], `${op.method} ${op.url}: config.scope is x-trove-scope`)
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
    { method: 'PUT', url: '/v1/teams' },
    { method: 'DELETE', url: '/v1/teams' },
    { method: 'PATCH', url: '/v1/teams/some_team' },
    { method: 'DELETE', url: '/v1/api_keys' },
    { method: 'GET', url: '/v1/api_keys/some_key' },
    { method: 'PATCH', url: '/v1/api_keys/some_key' },
    { method: 'POST', url: '/v1/audit_logs' },
    { method: 'DELETE', url: '/v1/audit_logs' },
    { method: 'POST', url: '/v1/audit_logs/verify' },
    { method: 'GET', url: '/v1/audit_logs/42' },
    { method: 'GET', url: '/v1/secrets/my_secret/value/extra' },
    { method: 'GET', url: '/v1/teams/some_team' },
    { method: 'OPTIONS', url: '/v1/secrets' },
    { method: 'GET', url: '/v2/secrets' },
    { method: 'GET', url: '/' },
    { method: 'POST', url: '/v1/secrets/export' },
    { method: 'GET', url: '/v1/secrets/my_secret/rollback' },
    { method: 'POST', url: '/v1/secrets/my_secret/versions' },
    { method: 'GET', url: '/v1/trash/my_secret' },
    { method: 'GET', url: '/v1/trash/my_secret/restore' },
    { method: 'DELETE', url: '/v1/trash' },
    { method: 'PUT', url: '/v1/teams/some_team/trash/my_secret' },
    { method: 'GET', url: '/v1/sys' },
    { method: 'GET', url: '/v1/sys/rotate' },
    { method: 'POST', url: '/v1/sys/rotation' },
    { method: 'GET', url: '/v1/sys/rekey' },
    { method: 'POST', url: '/v1/sys/backup' },
    { method: 'POST', url: '/metrics' },
    { method: 'GET', url: '/metrics/' }
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
  const scopes = ['secrets:list', 'secrets:read', 'secrets:write', 'secrets:delete']
  const { record } = prepareApiKey(trove.keyring, { name: 'no team', scopes, teams: [], key }, new Date())
  await trove.store.insertApiKey(record)
  const headers = { authorization: `Api-Key ${key}` }
  await call(t, 'upsertSecret', { method: 'POST', url: '/v1/secrets', headers, payload: { name: 'n', value: 'v' } },
    { status: 404, code: 'team_not_found' })
  await call(t, 'getSecret', { method: 'GET', url: '/v1/secrets/n', headers }, { status: 404, code: 'team_not_found' })
  const teams = await call(t, 'listTeams', { method: 'GET', url: '/v1/teams', headers }, { status: 200 })
  t.strictSame(teams, { teams: [] })
  const list = await call(t, 'listSecrets', { method: 'GET', url: '/v1/secrets', headers }, { status: 200 })
  t.strictSame(list, { secrets: [] }, 'an empty list is {"secrets": []}')
  const paged = await call(t, 'listSecrets', { method: 'GET', url: '/v1/secrets?limit=5', headers }, { status: 200 })
  t.strictSame(paged, { secrets: [], next_cursor: null })
  t.strictSame(await call(t, 'listTrash', { method: 'GET', url: '/v1/trash', headers }, { status: 200 }), { secrets: [] })
  await call(t, 'resolveSecrets', { method: 'POST', url: '/v1/secrets/resolve', headers, payload: { names: ['n'] } }, { status: 404, code: 'team_not_found' })
  await call(t, 'importSecrets', { method: 'POST', url: '/v1/secrets/import?format=dotenv&dry_run=true', headers, payload: 'N=1' },
    { status: 404, code: 'team_not_found' })
  await call(t, 'exportSecrets', { method: 'GET', url: '/v1/secrets/export?format=dotenv', headers }, { status: 404, code: 'team_not_found' })
  await call(t, 'exportSecrets', { method: 'GET', url: '/v1/secrets/export', headers }, { status: 404, code: 'team_not_found' })
  await call(t, 'listSecretVersions', { method: 'GET', url: '/v1/secrets/n/versions', headers }, { status: 404, code: 'team_not_found' })
  await call(t, 'rollbackSecret', { method: 'POST', url: '/v1/secrets/n/rollback', headers, payload: { version: 1 } }, { status: 404, code: 'team_not_found' })
  await call(t, 'restoreTrash', { method: 'POST', url: '/v1/trash/n/restore', headers }, { status: 404, code: 'team_not_found' })
  await call(t, 'destroyTrash', { method: 'DELETE', url: '/v1/trash/n', headers }, { status: 404, code: 'team_not_found' })
  const teamId = (await trove.store.listTeams())[0]?.id ?? 'none'
  const base = `/v1/teams/${teamId}/secrets`
  await call(t, 'listTeamSecrets', { method: 'GET', url: base, headers }, { status: 404, code: 'team_not_found' })
  await call(t, 'listTeamTrash', { method: 'GET', url: `/v1/teams/${teamId}/trash`, headers }, { status: 404, code: 'team_not_found' })
  await call(t, 'exportTeamSecrets', { method: 'GET', url: `${base}/export?format=json`, headers }, { status: 404, code: 'team_not_found' })
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

/** The id of the default team, as the API lists it. */
async function defaultTeamId (tt: Test): Promise<string> {
  const teams = await call(tt, 'listTeams', { method: 'GET', url: '/v1/teams', headers: AUTH }, { status: 200 })
  const team = (teams.teams as { id: string, name: string }[]).find(x => x.name === 'default')
  if (team === undefined) throw new Error('no default team')
  return team.id
}

const upsertRequest = (url: string, name: string, value: string, headers: Record<string, string> = {}): InjectOptions =>
  ({ method: 'POST', url, headers: { ...AUTH, ...headers }, payload: { name, value } })

t.test('versions, rollback and check-and-set', async t => {
  const upsert = (name: string, value: string, headers: Record<string, string> = {}) => upsertRequest('/v1/secrets', name, value, headers)

  const first = await check(t, 'upsertSecret', upsert('rotating', 'one'), { status: 200 })
  t.equal(first.res.headers.etag, '"1"', 'the ETag is the version')
  t.match((first.body as { fingerprint: string }).fingerprint, /^fp_[A-Za-z0-9_-]{16}$/)
  const same = await check(t, 'upsertSecret', upsert('rotating', 'one'), { status: 200 })
  t.equal((same.body as { version: number }).version, 1, 'the same value makes no new version')
  t.equal((same.body as { fingerprint: string }).fingerprint, (first.body as { fingerprint: string }).fingerprint)
  const second = await call(t, 'upsertSecret', upsert('rotating', 'two', { 'if-match': '"1"' }), { status: 200 })
  t.equal(second.version, 2)
  t.not(second.fingerprint, (first.body as { fingerprint: string }).fingerprint, 'another value, another fingerprint')

  const stale = await call(t, 'upsertSecret', upsert('rotating', 'three', { 'if-match': '"1"' }), { status: 412, code: 'version_mismatch' })
  t.equal(stale.current_version, 2)
  await call(t, 'upsertSecret', upsert('rotating', 'two', { 'if-match': 'W/"2"' }), { status: 200 })
  await call(t, 'upsertSecret', upsert('rotating', 'two', { 'if-match': '*' }), { status: 200 })
  const absent = await call(t, 'upsertSecret', upsert('never_there', 'v', { 'if-match': '1' }), { status: 412, code: 'version_mismatch' })
  t.equal(absent.current_version, null, 'no live secret: current_version is null')
  await call(t, 'upsertSecret', upsert('create_only', 'v', { 'if-none-match': '*' }), { status: 200 })
  const exists = await call(t, 'upsertSecret', upsert('create_only', 'w', { 'if-none-match': '*' }), { status: 412, code: 'version_mismatch' })
  t.equal(exists.current_version, 1)
  await call(t, 'upsertSecret', upsert('rotating', 'x', { 'if-match': 'abc' }), { status: 400, code: 'invalid_precondition' })
  await call(t, 'upsertSecret', upsert('rotating', 'x', { 'if-match': '"1", "2"' }), { status: 400, code: 'invalid_precondition' })
  await call(t, 'upsertSecret', upsert('rotating', 'x', { 'if-none-match': '"2"' }), { status: 400, code: 'invalid_precondition' })
  await call(t, 'upsertSecret', upsert('rotating', 'x', { 'if-match': '2', 'if-none-match': '*' }), { status: 400, code: 'invalid_precondition' })

  const meta = await check(t, 'getSecret', { method: 'GET', url: '/v1/secrets/rotating', headers: AUTH }, { status: 200 })
  t.equal(meta.res.headers.etag, '"2"')

  const history = await check(t, 'listSecretVersions', { method: 'GET', url: '/v1/secrets/rotating/versions', headers: AUTH }, { status: 200 })
  t.equal(history.res.headers.etag, '"2"')
  const versions = (history.body as { versions: { version: number, current: boolean, created_by: string | null, fingerprint: string }[] }).versions
  t.same(versions.map(v => v.version), [2, 1], 'newest first')
  t.same(versions.map(v => v.current), [true, false])
  t.equal(versions[1]?.fingerprint, (first.body as { fingerprint: string }).fingerprint, 'a version keeps its fingerprint')
  t.type(versions[0]?.created_by, 'string', 'the key that stored it')
  await call(t, 'listSecretVersions', { method: 'GET', url: '/v1/secrets/no_such_secret/versions', headers: AUTH }, { status: 404, code: 'secret_not_found' })
  await call(t, 'listSecretVersions', { method: 'GET', url: '/v1/secrets/a%20b/versions', headers: AUTH }, { status: 400, code: 'invalid_name' })
  await call(t, 'listSecretVersions', { method: 'GET', url: `/v1/secrets/${'n'.repeat(1100)}/versions`, headers: AUTH }, { status: 414, code: 'uri_too_long' })

  const current = await check(t, 'getSecretValue', { method: 'GET', url: '/v1/secrets/rotating/value', headers: AUTH }, { status: 200 })
  t.strictSame(current.body, { name: 'rotating', value: 'two', version: 2 })
  t.equal(current.res.headers.etag, '"2"')
  const old = await check(t, 'getSecretValue', { method: 'GET', url: '/v1/secrets/rotating/value?version=1', headers: AUTH }, { status: 200 })
  t.strictSame(old.body, { name: 'rotating', value: 'one', version: 1 })
  t.equal(old.res.headers.etag, undefined, 'no ETag for an older version')
  await call(t, 'getSecretValue', { method: 'GET', url: '/v1/secrets/rotating/value?version=9', headers: AUTH }, { status: 404, code: 'version_not_found' })
  for (const bad of ['0', 'x', '1.5', '-1', '1&version=2']) {
    await call(t, 'getSecretValue', { method: 'GET', url: `/v1/secrets/rotating/value?version=${bad}`, headers: AUTH }, { status: 400, code: 'invalid_query' })
  }

  const rollback = (name: string, payload: unknown, headers: Record<string, string> = {}): InjectOptions =>
    ({ method: 'POST', url: `/v1/secrets/${name}/rollback`, headers: { ...AUTH, ...headers }, payload: payload as string })
  const rolled = await check(t, 'rollbackSecret', rollback('rotating', { version: 1 }, { 'if-match': '"2"' }), { status: 200 })
  t.equal((rolled.body as { version: number }).version, 3, 'a rollback is a new version')
  t.equal(rolled.res.headers.etag, '"3"')
  t.equal((await call(t, 'getSecretValue', { method: 'GET', url: '/v1/secrets/rotating/value', headers: AUTH }, { status: 200 })).value, 'one')
  const unchanged = await call(t, 'rollbackSecret', rollback('rotating', { version: 1 }), { status: 200 })
  t.equal(unchanged.version, 3, 'rolling back to the current value makes no new version')
  const staleRollback = await call(t, 'rollbackSecret', rollback('rotating', { version: 2 }, { 'if-match': '2' }), { status: 412, code: 'version_mismatch' })
  t.equal(staleRollback.current_version, 3)
  await call(t, 'rollbackSecret', rollback('rotating', { version: 9 }), { status: 404, code: 'version_not_found' })
  await call(t, 'rollbackSecret', rollback('no_such_secret', { version: 1 }), { status: 404, code: 'secret_not_found' })
  await call(t, 'rollbackSecret', rollback('rotating', { version: 'one' }), { status: 400, code: 'invalid_body' })
  await call(t, 'rollbackSecret', rollback('rotating', { version: 0 }), { status: 400, code: 'invalid_body' })
  await call(t, 'rollbackSecret', rollback('rotating', ''), { status: 400, code: 'invalid_body' })
  await call(t, 'rollbackSecret', rollback('rotating', '{', { 'content-type': 'application/json' }), { status: 400, code: 'invalid_json' })
  await call(t, 'rollbackSecret', rollback('rotating', { version: 1 }, { 'if-none-match': '*' }), { status: 400, code: 'invalid_precondition' })
  await call(t, 'rollbackSecret', rollback('a%20b', { version: 1 }), { status: 400, code: 'invalid_name' })
  await call(t, 'rollbackSecret', rollback('rotating', 'version=1'), { status: 415, code: 'unsupported_media_type' })
  await call(t, 'rollbackSecret', rollback('rotating', { version: 1, pad: 'a'.repeat(1024 * 1024) }), { status: 413, code: 'body_too_large' })
  await call(t, 'rollbackSecret', rollback('n'.repeat(1100), { version: 1 }), { status: 414, code: 'uri_too_long' })

  const del = (name: string, headers: Record<string, string> = {}): InjectOptions =>
    ({ method: 'DELETE', url: `/v1/secrets/${name}`, headers: { ...AUTH, ...headers } })
  const staleDelete = await call(t, 'deleteSecret', del('rotating', { 'if-match': '"2"' }), { status: 412, code: 'version_mismatch' })
  t.equal(staleDelete.current_version, 3)
  await call(t, 'deleteSecret', del('rotating', { 'if-match': 'two' }), { status: 400, code: 'invalid_precondition' })
  await call(t, 'deleteSecret', del('rotating', { 'if-none-match': '*' }), { status: 400, code: 'invalid_precondition' })
  await call(t, 'getSecret', { method: 'GET', url: '/v1/secrets/rotating', headers: AUTH }, { status: 200 })
  await call(t, 'deleteSecret', del('rotating', { 'if-match': '"3"' }), { status: 200 })
  await call(t, 'deleteSecret', del('create_only', { 'if-match': '*' }), { status: 200 })
  const gone = await call(t, 'deleteSecret', del('create_only', { 'if-match': '*' }), { status: 412, code: 'version_mismatch' })
  t.equal(gone.current_version, null, 'with If-Match, a missing secret is 412 rather than 404')
})

t.test('versions, rollback and check-and-set in a named team', async t => {
  const base = `/v1/teams/${await defaultTeamId(t)}/secrets`
  const unknown = '/v1/teams/team_doesnotexist/secrets'
  await call(t, 'upsertTeamSecret', upsertRequest(base, 'team_rotating', 'one'), { status: 200 })
  await call(t, 'upsertTeamSecret', upsertRequest(base, 'team_rotating', 'two', { 'if-match': '"1"' }), { status: 200 })
  const stale = await call(t, 'upsertTeamSecret', upsertRequest(base, 'team_rotating', 'three', { 'if-match': '"1"' }), { status: 412, code: 'version_mismatch' })
  t.equal(stale.current_version, 2)
  await call(t, 'upsertTeamSecret', upsertRequest(base, 'team_rotating', 'x', { 'if-match': 'nope' }), { status: 400, code: 'invalid_precondition' })
  await call(t, 'upsertTeamSecret', upsertRequest('/v1/teams/%E0%A4%A/secrets', 'n', 'v'), { status: 400, code: 'bad_url' })

  const history = await call(t, 'listTeamSecretVersions', { method: 'GET', url: `${base}/team-rotating/versions`, headers: AUTH }, { status: 200 })
  t.same((history.versions as { version: number }[]).map(v => v.version), [2, 1])
  await call(t, 'listTeamSecretVersions', { method: 'GET', url: `${base}/no_such_secret/versions`, headers: AUTH }, { status: 404, code: 'secret_not_found' })
  await call(t, 'listTeamSecretVersions', { method: 'GET', url: `${unknown}/n/versions`, headers: AUTH }, { status: 404, code: 'team_not_found' })
  await call(t, 'listTeamSecretVersions', { method: 'GET', url: `${base}/a%20b/versions`, headers: AUTH }, { status: 400, code: 'invalid_name' })

  const old = await call(t, 'getTeamSecretValue', { method: 'GET', url: `${base}/team_rotating/value?version=1`, headers: AUTH }, { status: 200 })
  t.strictSame(old, { name: 'team_rotating', value: 'one', version: 1 })
  await call(t, 'getTeamSecretValue', { method: 'GET', url: `${base}/team_rotating/value?version=3`, headers: AUTH }, { status: 404, code: 'version_not_found' })
  await call(t, 'getTeamSecretValue', { method: 'GET', url: `${base}/team_rotating/value?version=zero`, headers: AUTH }, { status: 400, code: 'invalid_query' })

  const rollback = (url: string, payload: unknown, headers: Record<string, string> = {}): InjectOptions =>
    ({ method: 'POST', url, headers: { ...AUTH, ...headers }, payload: payload as string })
  const rolled = await call(t, 'rollbackTeamSecret', rollback(`${base}/team_rotating/rollback`, { version: 1 }), { status: 200 })
  t.equal(rolled.version, 3)
  await call(t, 'rollbackTeamSecret', rollback(`${base}/team_rotating/rollback`, { version: 2 }, { 'if-match': '2' }), { status: 412, code: 'version_mismatch' })
  await call(t, 'rollbackTeamSecret', rollback(`${base}/team_rotating/rollback`, { version: 8 }), { status: 404, code: 'version_not_found' })
  await call(t, 'rollbackTeamSecret', rollback(`${unknown}/n/rollback`, { version: 1 }), { status: 404, code: 'team_not_found' })
  await call(t, 'rollbackTeamSecret', rollback(`${base}/team_rotating/rollback`, {}), { status: 400, code: 'invalid_body' })
  await call(t, 'rollbackTeamSecret', rollback(`${base}/team_rotating/rollback`, 'v=1'), { status: 415, code: 'unsupported_media_type' })

  await call(t, 'deleteTeamSecret', { method: 'DELETE', url: `${base}/team_rotating`, headers: { ...AUTH, 'if-match': '1' } }, { status: 412, code: 'version_mismatch' })
  await call(t, 'deleteTeamSecret', { method: 'DELETE', url: `${base}/team_rotating`, headers: { ...AUTH, 'if-match': '"3"' } }, { status: 200 })
})

t.test('pages of the list', async t => {
  for (const name of ['page-a', 'page-b', 'page-c', 'page-d', 'page-e']) {
    await call(t, 'upsertSecret', upsertRequest('/v1/secrets', name, 'v'), { status: 200 })
  }
  const names: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const query: string = `prefix=page_&limit=2${cursor === null ? '' : `&cursor=${cursor}`}`
    const page = await call(t, 'listSecrets', { method: 'GET', url: `/v1/secrets?${query}`, headers: AUTH }, { status: 200 })
    t.ok('next_cursor' in page, 'a page has next_cursor')
    names.push(...(page.secrets as { name: string }[]).map(s => s.name))
    cursor = page.next_cursor as string | null
    pages++
  } while (cursor !== null && pages < 10)
  t.equal(pages, 3)
  t.same(names, ['page-a', 'page-b', 'page-c', 'page-d', 'page-e'], 'every secret once, in order; the prefix is normalised')
  const defaults = await call(t, 'listSecrets', { method: 'GET', url: '/v1/secrets?prefix=page', headers: AUTH }, { status: 200 })
  t.equal(defaults.next_cursor, null, 'the default page size holds them all')
  const baseten = await call(t, 'listSecrets', { method: 'GET', url: '/v1/secrets', headers: AUTH }, { status: 200 })
  t.notOk('next_cursor' in baseten, 'without parameters: Baseten\'s shape')

  for (const query of ['limit=0', 'limit=1001', 'limit=x', 'limit=1&limit=2', 'prefix=a%20b', `prefix=${'p'.repeat(254)}`]) {
    await call(t, 'listSecrets', { method: 'GET', url: `/v1/secrets?${query}`, headers: AUTH }, { status: 400, code: 'invalid_query' })
  }
  for (const query of ['cursor=garbage', 'cursor=', `cursor=${Buffer.from('{"a":1}').toString('base64url')}`]) {
    await call(t, 'listSecrets', { method: 'GET', url: `/v1/secrets?${query}`, headers: AUTH }, { status: 400, code: 'invalid_cursor' })
  }

  const base = `/v1/teams/${await defaultTeamId(t)}/secrets`
  const teamPage = await call(t, 'listTeamSecrets', { method: 'GET', url: `${base}?prefix=page&limit=4`, headers: AUTH }, { status: 200 })
  t.equal((teamPage.secrets as unknown[]).length, 4)
  t.type(teamPage.next_cursor, 'string')
  const rest = await call(t, 'listTeamSecrets', { method: 'GET', url: `${base}?prefix=page&limit=4&cursor=${String(teamPage.next_cursor)}`, headers: AUTH }, { status: 200 })
  t.same((rest.secrets as { name: string }[]).map(s => s.name), ['page-e'])
  t.equal(rest.next_cursor, null)
  await call(t, 'listTeamSecrets', { method: 'GET', url: `${base}?limit=1001`, headers: AUTH }, { status: 400, code: 'invalid_query' })
  await call(t, 'listTeamSecrets', { method: 'GET', url: `${base}?cursor=nope`, headers: AUTH }, { status: 400, code: 'invalid_cursor' })
})

t.test('resolve', async t => {
  await call(t, 'upsertSecret', upsertRequest('/v1/secrets', 'resolve_me', 'r1'), { status: 200 })
  await call(t, 'upsertSecret', upsertRequest('/v1/secrets', 'and_me', 'line 1\nline 2'), { status: 200 })
  const resolve = (url: string, payload: unknown, headers: Record<string, string> = {}): InjectOptions =>
    ({ method: 'POST', url, headers: { ...AUTH, ...headers }, payload: payload as string })

  const found = await call(t, 'resolveSecrets', resolve('/v1/secrets/resolve', { names: ['resolve-me', 'and_me', 'not_here', 'not_here'] }), { status: 200 })
  t.strictSame(found, { secrets: { 'resolve-me': 'r1', and_me: 'line 1\nline 2' }, missing: ['not_here'] }, 'keyed as requested; missing once')
  t.strictSame(await call(t, 'resolveSecrets', resolve('/v1/secrets/resolve', { names: [] }), { status: 200 }), { secrets: {}, missing: [] })
  await call(t, 'resolveSecrets', resolve('/v1/secrets/resolve', { names: 'resolve_me' }), { status: 400, code: 'invalid_body' })
  await call(t, 'resolveSecrets', resolve('/v1/secrets/resolve', { names: [1] }), { status: 400, code: 'invalid_body' })
  await call(t, 'resolveSecrets', resolve('/v1/secrets/resolve', { names: Array.from({ length: 1001 }, () => 'a') }), { status: 400, code: 'invalid_body' })
  await call(t, 'resolveSecrets', resolve('/v1/secrets/resolve', ''), { status: 400, code: 'invalid_body' })
  await call(t, 'resolveSecrets', resolve('/v1/secrets/resolve', { names: ['bad name'] }), { status: 400, code: 'invalid_name' })
  await call(t, 'resolveSecrets', resolve('/v1/secrets/resolve', '{"names": [', { 'content-type': 'application/json' }), { status: 400, code: 'invalid_json' })
  await call(t, 'resolveSecrets', resolve('/v1/secrets/resolve', 'names=a'), { status: 415, code: 'unsupported_media_type' })
  await call(t, 'resolveSecrets', resolve('/v1/secrets/resolve', { names: [], pad: 'a'.repeat(1024 * 1024) }), { status: 413, code: 'body_too_large' })
  // GET on the path reads a secret named "resolve"
  await call(t, 'getSecret', { method: 'GET', url: '/v1/secrets/resolve', headers: AUTH }, { status: 404, code: 'secret_not_found' })

  const base = `/v1/teams/${await defaultTeamId(t)}/secrets`
  const teamFound = await call(t, 'resolveTeamSecrets', resolve(`${base}/resolve`, { names: ['resolve_me', 'nope'] }), { status: 200 })
  t.strictSame(teamFound, { secrets: { resolve_me: 'r1' }, missing: ['nope'] })
  await call(t, 'resolveTeamSecrets', resolve('/v1/teams/team_doesnotexist/secrets/resolve', { names: [] }), { status: 404, code: 'team_not_found' })
  await call(t, 'resolveTeamSecrets', resolve('/v1/teams/%E0%A4%A/secrets/resolve', { names: [] }), { status: 400, code: 'bad_url' })
  await call(t, 'resolveTeamSecrets', resolve(`/v1/teams/${'t'.repeat(1100)}/secrets/resolve`, { names: [] }), { status: 414, code: 'uri_too_long' })
  await call(t, 'resolveTeamSecrets', resolve(`${base}/resolve`, { names: ['..'] }), { status: 400, code: 'invalid_name' })
  await call(t, 'resolveTeamSecrets', resolve(`${base}/resolve`, 'x'), { status: 415, code: 'unsupported_media_type' })
})

t.test('import and export', async t => {
  const importRequest = (url: string, payload: string, contentType = 'text/plain'): InjectOptions =>
    ({ method: 'POST', url, headers: { ...AUTH, 'content-type': contentType }, payload })
  await call(t, 'upsertSecret', upsertRequest('/v1/secrets', 'IMPORT_SAME', 'same'), { status: 200 })
  await call(t, 'upsertSecret', upsertRequest('/v1/secrets', 'IMPORT_OLD', 'old'), { status: 200 })
  const file = 'IMPORT_SAME=same\nIMPORT_OLD=new\nIMPORT_NEW="fresh\\nvalue"\n'

  const dry = await call(t, 'importSecrets', importRequest('/v1/secrets/import?format=dotenv&dry_run=true', file), { status: 200 })
  t.strictSame(dry, {
    plan: [{ name: 'IMPORT_SAME', action: 'unchanged' }, { name: 'IMPORT_OLD', action: 'update' }, { name: 'IMPORT_NEW', action: 'create' }],
    applied: false
  })
  await call(t, 'getSecret', { method: 'GET', url: '/v1/secrets/IMPORT_NEW', headers: AUTH }, { status: 404, code: 'secret_not_found' })
  const applied = await call(t, 'importSecrets', importRequest('/v1/secrets/import?format=dotenv&dry_run=false', file), { status: 200 })
  t.equal(applied.applied, true)
  t.equal((await call(t, 'getSecretValue', { method: 'GET', url: '/v1/secrets/IMPORT_NEW/value', headers: AUTH }, { status: 200 })).value, 'fresh\nvalue')
  // the body is the file whatever the Content-Type says, JSON included
  const asJson = await call(t, 'importSecrets', importRequest('/v1/secrets/import?format=json', '{"IMPORT_JSON": "j"}', 'application/json'), { status: 200 })
  t.strictSame(asJson, { plan: [{ name: 'IMPORT_JSON', action: 'create' }], applied: true })
  const asYaml = await call(t, 'importSecrets', importRequest('/v1/secrets/import?format=yaml', 'IMPORT_YAML: "007"\n', 'application/yaml'), { status: 200 })
  t.strictSame(asYaml, { plan: [{ name: 'IMPORT_YAML', action: 'create' }], applied: true })
  t.strictSame(await call(t, 'importSecrets', importRequest('/v1/secrets/import?format=dotenv', ''), { status: 200 }), { plan: [], applied: true },
    'an empty file imports nothing')

  const refused = await call(t, 'importSecrets', importRequest('/v1/secrets/import?format=json', JSON.stringify({ IMPORT_OK: 'v', 'bad name': 'v', IMPORT_NUMBER: 5 })),
    { status: 400, code: 'invalid_import' })
  t.equal(refused.applied, false)
  t.same((refused.plan as { name: string, action: string }[]).filter(item => item.action === 'invalid').map(item => item.name).sort(), ['IMPORT_NUMBER', 'bad name'])
  await call(t, 'getSecret', { method: 'GET', url: '/v1/secrets/IMPORT_OK', headers: AUTH }, { status: 404, code: 'secret_not_found' })
  const dryInvalid = await call(t, 'importSecrets', importRequest('/v1/secrets/import?format=dotenv&dry_run=true', 'not a line\n'), { status: 200 })
  t.match(dryInvalid, { plan: [{ name: '', action: 'invalid', reason: String }], applied: false }, 'a dry run shows invalid entries with 200')
  await call(t, 'importSecrets', importRequest('/v1/secrets/import?format=toml', 'A=1'), { status: 400, code: 'invalid_format' })
  await call(t, 'importSecrets', importRequest('/v1/secrets/import', 'A=1'), { status: 400, code: 'invalid_format' })
  await call(t, 'importSecrets', importRequest('/v1/secrets/import?format=dotenv&dry_run=yes', 'A=1'), { status: 400, code: 'invalid_query' })
  await call(t, 'importSecrets', importRequest('/v1/secrets/import?format=dotenv', 'A=' + 'x'.repeat(1024 * 1024)), { status: 413, code: 'body_too_large' })

  const exported: Record<string, string> = {}
  for (const [format, type] of [['dotenv', /^text\/plain; charset=utf-8$/], ['json', /^application\/json; charset=utf-8$/], ['yaml', /^application\/yaml; charset=utf-8$/]] as const) {
    const { res } = await check(t, 'exportSecrets', { method: 'GET', url: `/v1/secrets/export?format=${format}`, headers: AUTH }, { status: 200, contentType: type })
    t.equal(res.headers.etag, undefined, `${format}: a file has no ETag`)
    exported[format] = res.body
  }
  t.match(exported.dotenv, /^IMPORT_NEW="fresh\\nvalue"$/m)
  t.equal((JSON.parse(exported.json ?? '{}') as Record<string, string>).IMPORT_OLD, 'new')
  const roundTrip = await call(t, 'importSecrets', importRequest('/v1/secrets/import?format=yaml&dry_run=true', exported.yaml ?? ''), { status: 200 })
  t.ok((roundTrip.plan as { action: string }[]).every(item => item.action === 'unchanged'), 'an export imports back as a no-op')
  await call(t, 'exportSecrets', { method: 'GET', url: '/v1/secrets/export?format=xml', headers: AUTH }, { status: 400, code: 'invalid_format' })
  await call(t, 'exportSecrets', { method: 'GET', url: '/v1/secrets/export?format=json&format=yaml', headers: AUTH }, { status: 400, code: 'invalid_query' })

  // without a format the path reads the secret literally named "export"
  await call(t, 'exportSecrets', { method: 'GET', url: '/v1/secrets/export', headers: AUTH }, { status: 404, code: 'secret_not_found' })
  await call(t, 'upsertSecret', upsertRequest('/v1/secrets', 'export', 'e'), { status: 200 })
  const literal = await check(t, 'exportSecrets', { method: 'GET', url: '/v1/secrets/export', headers: AUTH }, { status: 200 })
  t.match(literal.body, { name: 'export', version: 1 })
  t.equal(literal.res.headers.etag, '"1"')
  await call(t, 'deleteSecret', { method: 'DELETE', url: '/v1/secrets/export', headers: AUTH }, { status: 200 })
  await call(t, 'destroyTrash', { method: 'DELETE', url: '/v1/trash/export', headers: AUTH }, { status: 200 })

  const base = `/v1/teams/${await defaultTeamId(t)}/secrets`
  const unknown = '/v1/teams/team_doesnotexist/secrets'
  const teamImport = await call(t, 'importTeamSecrets', importRequest(`${base}/import?format=yaml`, 'IMPORT_TEAM: t\n'), { status: 200 })
  t.strictSame(teamImport, { plan: [{ name: 'IMPORT_TEAM', action: 'create' }], applied: true })
  await call(t, 'importTeamSecrets', importRequest(`${base}/import?format=yaml`, '- a\n'), { status: 400, code: 'invalid_import' })
  await call(t, 'importTeamSecrets', importRequest(`${base}/import?format=ini`, ''), { status: 400, code: 'invalid_format' })
  await call(t, 'importTeamSecrets', importRequest(`${unknown}/import?format=dotenv`, 'A=1'), { status: 404, code: 'team_not_found' })
  await call(t, 'importTeamSecrets', importRequest('/v1/teams/%E0%A4%A/secrets/import?format=dotenv', 'A=1'), { status: 400, code: 'bad_url' })
  await call(t, 'importTeamSecrets', importRequest(`/v1/teams/${'t'.repeat(1100)}/secrets/import?format=dotenv`, 'A=1'), { status: 414, code: 'uri_too_long' })
  for (const [format, type] of [['dotenv', /^text\/plain\b/], ['json', /^application\/json\b/], ['yaml', /^application\/yaml\b/]] as const) {
    const { res } = await check(t, 'exportTeamSecrets', { method: 'GET', url: `${base}/export?format=${format}`, headers: AUTH }, { status: 200, contentType: type })
    t.match(res.body, /IMPORT_TEAM/, `${format}: the team's secrets`)
  }
  await call(t, 'exportTeamSecrets', { method: 'GET', url: `${base}/export`, headers: AUTH }, { status: 404, code: 'secret_not_found' })
  await call(t, 'exportTeamSecrets', { method: 'GET', url: `${base}/export?format=csv`, headers: AUTH }, { status: 400, code: 'invalid_format' })
  await call(t, 'exportTeamSecrets', { method: 'GET', url: `${unknown}/export?format=json`, headers: AUTH }, { status: 404, code: 'team_not_found' })
  await call(t, 'exportTeamSecrets', { method: 'GET', url: '/v1/teams/%E0%A4%A/secrets/export?format=json', headers: AUTH }, { status: 400, code: 'bad_url' })
})

t.test('trash', async t => {
  const trashed = async (url: string): Promise<{ name: string, version: number }[]> =>
    (await call(t, url.startsWith('/v1/teams/') ? 'listTeamTrash' : 'listTrash', { method: 'GET', url, headers: AUTH }, { status: 200 })).secrets as { name: string, version: number }[]

  await call(t, 'upsertSecret', upsertRequest('/v1/secrets', 'binned', 'one'), { status: 200 })
  const kept = await call(t, 'upsertSecret', upsertRequest('/v1/secrets', 'binned', 'two'), { status: 200 })
  await call(t, 'deleteSecret', { method: 'DELETE', url: '/v1/secrets/binned', headers: AUTH }, { status: 200 })
  t.match(await trashed('/v1/trash'), [{ name: 'binned', version: 2 }], 'the deleted secret is in the trash, newest deletion first')
  await call(t, 'listTrash', { method: 'GET', url: '/v1/trash/', headers: AUTH }, { status: 200 })

  const restore = (url: string, payload?: string, headers: Record<string, string> = {}): InjectOptions =>
    ({ method: 'POST', url, headers: { ...AUTH, ...headers }, payload })
  const restored = await check(t, 'restoreTrash', restore('/v1/trash/binned/restore'), { status: 200 })
  t.match(restored.body, { id: kept.id, name: 'binned', version: 2 }, 'the same secret comes back')
  t.equal(restored.res.headers.etag, '"2"')
  t.equal((await call(t, 'getSecretValue', { method: 'GET', url: '/v1/secrets/binned/value?version=1', headers: AUTH }, { status: 200 })).value, 'one',
    'with its history')
  await call(t, 'restoreTrash', restore('/v1/trash/binned/restore'), { status: 404, code: 'not_in_trash' })

  // delete, reuse the name, then restoring the old one conflicts
  await call(t, 'deleteSecret', { method: 'DELETE', url: '/v1/secrets/binned', headers: AUTH }, { status: 200 })
  await call(t, 'upsertSecret', upsertRequest('/v1/secrets', 'binned', 'newer'), { status: 200 })
  await call(t, 'restoreTrash', restore('/v1/trash/binned/restore'), { status: 409, code: 'name_in_use' })
  await call(t, 'restoreTrash', restore('/v1/trash/a%20b/restore'), { status: 400, code: 'invalid_name' })
  await call(t, 'restoreTrash', restore('/v1/trash/binned/restore', '{', { 'content-type': 'application/json' }), { status: 400, code: 'invalid_json' })
  await call(t, 'restoreTrash', restore('/v1/trash/binned/restore', 'x=y'), { status: 415, code: 'unsupported_media_type' })
  await call(t, 'restoreTrash', restore('/v1/trash/binned/restore', JSON.stringify({ pad: 'a'.repeat(1024 * 1024) })), { status: 413, code: 'body_too_large' })
  await call(t, 'restoreTrash', restore(`/v1/trash/${'n'.repeat(1100)}/restore`), { status: 414, code: 'uri_too_long' })

  const destroyed = await call(t, 'destroyTrash', { method: 'DELETE', url: '/v1/trash/binned', headers: AUTH }, { status: 200 })
  t.strictSame(destroyed, { name: 'binned' })
  t.notOk((await trashed('/v1/trash')).some(s => s.name === 'binned'), 'destroyed for good')
  await call(t, 'destroyTrash', { method: 'DELETE', url: '/v1/trash/binned', headers: AUTH }, { status: 404, code: 'not_in_trash' })
  await call(t, 'destroyTrash', { method: 'DELETE', url: '/v1/trash/a%2Fb', headers: AUTH }, { status: 400, code: 'invalid_name' })
  await call(t, 'destroyTrash', { method: 'DELETE', url: '/v1/trash/binned', headers: AUTH, payload: 'x=y' }, { status: 415, code: 'unsupported_media_type' })
  await call(t, 'destroyTrash', { method: 'DELETE', url: `/v1/trash/${'n'.repeat(1100)}`, headers: AUTH }, { status: 414, code: 'uri_too_long' })
  await call(t, 'getSecretValue', { method: 'GET', url: '/v1/secrets/binned/value', headers: AUTH }, { status: 200 })

  const teamBase = `/v1/teams/${await defaultTeamId(t)}`
  const unknown = '/v1/teams/team_doesnotexist'
  await call(t, 'upsertTeamSecret', upsertRequest(`${teamBase}/secrets`, 'team_binned', 'v'), { status: 200 })
  await call(t, 'deleteTeamSecret', { method: 'DELETE', url: `${teamBase}/secrets/team_binned`, headers: AUTH }, { status: 200 })
  t.ok((await trashed(`${teamBase}/trash`)).some(s => s.name === 'team_binned'))
  await call(t, 'listTeamTrash', { method: 'GET', url: `${teamBase}/trash/`, headers: AUTH }, { status: 200 })
  await call(t, 'listTeamTrash', { method: 'GET', url: `${unknown}/trash`, headers: AUTH }, { status: 404, code: 'team_not_found' })
  await call(t, 'listTeamTrash', { method: 'GET', url: '/v1/teams/%E0%A4%A/trash', headers: AUTH }, { status: 400, code: 'bad_url' })
  await call(t, 'listTeamTrash', { method: 'GET', url: `/v1/teams/${'t'.repeat(1100)}/trash`, headers: AUTH }, { status: 414, code: 'uri_too_long' })
  await call(t, 'restoreTeamTrash', restore(`${teamBase}/trash/team-binned/restore`), { status: 200 })
  await call(t, 'restoreTeamTrash', restore(`${teamBase}/trash/team_binned/restore`), { status: 404, code: 'not_in_trash' })
  await call(t, 'restoreTeamTrash', restore(`${unknown}/trash/team_binned/restore`), { status: 404, code: 'team_not_found' })
  await call(t, 'deleteTeamSecret', { method: 'DELETE', url: `${teamBase}/secrets/team_binned`, headers: AUTH }, { status: 200 })
  await call(t, 'upsertTeamSecret', upsertRequest(`${teamBase}/secrets`, 'team_binned', 'again'), { status: 200 })
  await call(t, 'restoreTeamTrash', restore(`${teamBase}/trash/team_binned/restore`), { status: 409, code: 'name_in_use' })
  await call(t, 'destroyTeamTrash', { method: 'DELETE', url: `${teamBase}/trash/team_binned`, headers: AUTH }, { status: 200 })
  await call(t, 'destroyTeamTrash', { method: 'DELETE', url: `${teamBase}/trash/team_binned`, headers: AUTH }, { status: 404, code: 'not_in_trash' })
  await call(t, 'destroyTeamTrash', { method: 'DELETE', url: `${unknown}/trash/team_binned`, headers: AUTH }, { status: 404, code: 'team_not_found' })
  await call(t, 'destroyTeamTrash', { method: 'DELETE', url: `${teamBase}/trash/a%20b`, headers: AUTH }, { status: 400, code: 'invalid_name' })
})

t.test('every /v1 operation that needs a scope refuses a key without it', async t => {
  const teamId = await defaultTeamId(t)
  // two narrow keys, made through the API: each lacks the other's scope
  const lister = await createKey(t, { name: 'lister', scopes: ['secrets:list'] })
  const auditor = await createKey(t, { name: 'auditor', scopes: ['audit:read'] })
  for (const op of v1Operations) {
    const scope = op.spec['x-trove-scope']
    if (scope === null || scope === undefined) continue
    const key = scope === 'secrets:list' ? auditor : lister
    const url = urlOf(op, { team_id: teamId, secret_name: 'my_secret', key_id: lister.id })
    // refused before the body is read, so a body that is not JSON changes nothing
    const { res } = await check(t, op.spec.operationId, {
      method: op.method as 'GET', url, headers: key.headers, payload: op.method === 'GET' ? undefined : 'not json'
    }, { status: 403, code: 'insufficient_scope' })
    t.equal(res.headers['www-authenticate'], `Bearer realm="trove", error="insufficient_scope", scope="${scope}"`,
      `${op.spec.operationId}: WWW-Authenticate names ${scope}`)
  }
  // the scope a key holds is enough, and listing teams needs none
  await call(t, 'listSecrets', { method: 'GET', url: '/v1/secrets', headers: lister.headers }, { status: 200 })
  await call(t, 'getSecret', { method: 'GET', url: '/v1/secrets/nothing_here', headers: lister.headers }, { status: 404, code: 'secret_not_found' })
  await call(t, 'listAuditLogs', { method: 'GET', url: '/v1/audit_logs?limit=1', headers: auditor.headers }, { status: 200 })
  await call(t, 'listTeams', { method: 'GET', url: '/v1/teams', headers: auditor.headers }, { status: 200 })
  for (const key of [lister, auditor]) {
    await call(t, 'revokeApiKey', { method: 'DELETE', url: `/v1/api_keys/${key.id}`, headers: AUTH }, { status: 200 })
  }
})

t.test('API keys', async t => {
  const teamId = await defaultTeamId(t)
  const expiresAt = new Date(Date.now() + 86_400_000).toISOString()
  const create = (payload: unknown, headers: Record<string, string> = AUTH): InjectOptions =>
    ({ method: 'POST', url: '/v1/api_keys', headers, payload: payload as string })

  const deployer = await createKey(t, { name: 'ci-deploy', scopes: ['secrets:read', 'secrets:list', 'secrets:read'], teams: [teamId], expires_at: expiresAt })
  t.match(deployer.body, { name: 'ci-deploy', teams: [teamId], expires_at: expiresAt, last_used_at: null, revoked: false, revoked_at: null })
  t.strictSame(deployer.body.scopes, ['secrets:read', 'secrets:list'], 'a scope asked for twice is granted once')
  t.equal(deployer.key.slice('trove_'.length, 'trove_'.length + 12), deployer.id, 'the id is part of the key')
  await call(t, 'getSecretValue', { method: 'GET', url: '/v1/secrets/nothing_here/value', headers: deployer.headers }, { status: 404, code: 'secret_not_found' })

  // without teams, an unrestricted caller's key may use every team; a body with any content type
  const unbound = await call(t, 'createApiKey', create('{"name": "everything", "scopes": ["admin"]}',
    { ...AUTH, 'content-type': 'application/x-www-form-urlencoded' }), { status: 200 })
  t.match(unbound, { teams: null, expires_at: null, scopes: ['admin'] })
  issuedKeys.push(String(unbound.key))

  const listed = await call(t, 'listApiKeys', { method: 'GET', url: '/v1/api_keys', headers: AUTH }, { status: 200 })
  const keys = listed.api_keys as { id: string, key?: string, last_used_at: string | null }[]
  t.ok(keys.some(k => k.id === deployer.id) && keys.some(k => k.id === unbound.id), 'the new keys are listed')
  t.notOk(keys.some(k => 'key' in k), 'a list holds no key')
  t.notOk(issuedKeys.some(key => JSON.stringify(listed).includes(key)), 'nor any key as text')
  t.type(keys.find(k => k.id === deployer.id)?.last_used_at, 'string', 'last_used_at is set once the key is used')
  await call(t, 'listApiKeys', { method: 'GET', url: '/v1/api_keys/', headers: AUTH }, { status: 200 })

  for (const payload of [
    { scopes: ['secrets:list'] }, { name: '', scopes: ['secrets:list'] }, { name: 'n'.repeat(101), scopes: ['secrets:list'] },
    { name: 'n' }, { name: 'n', scopes: [] }, { name: 'n', scopes: 'secrets:list' }, { name: 'n', scopes: ['secrets:everything'] },
    { name: 'n', scopes: ['secrets:list'], teams: [] }, { name: 'n', scopes: ['secrets:list'], teams: teamId },
    { name: 'n', scopes: ['secrets:list'], expires_at: 'tomorrow' }, { name: 'n', scopes: ['secrets:list'], expires_at: '2000-01-01T00:00:00Z' },
    '', '[]', 'null'
  ]) {
    await call(t, 'createApiKey', create(payload), { status: 400, code: 'invalid_body' })
  }
  await call(t, 'createApiKey', create('{"name": ', { ...AUTH, 'content-type': 'application/json' }), { status: 400, code: 'invalid_json' })
  await call(t, 'createApiKey', create('name=n&scopes=admin'), { status: 415, code: 'unsupported_media_type' })
  await call(t, 'createApiKey', create({ name: 'n', scopes: ['admin'], pad: 'a'.repeat(1024 * 1024) }), { status: 413, code: 'body_too_large' })
  await call(t, 'createApiKey', create({ name: 'n', scopes: ['secrets:list'], teams: ['team_doesnotexist'] }), { status: 404, code: 'team_not_found' })

  // a key grants only the scopes and teams it holds, and manages only keys within its teams
  const manager = await createKey(t, { name: 'manager', scopes: ['keys:manage', 'secrets:list'], teams: [teamId] })
  await call(t, 'createApiKey', create({ name: 'n', scopes: ['secrets:read'] }, manager.headers), { status: 403, code: 'scope_not_held' })
  await call(t, 'createApiKey', create({ name: 'n', scopes: ['admin'] }, manager.headers), { status: 403, code: 'scope_not_held' })
  const other = await call(t, 'createTeam', { method: 'POST', url: '/v1/teams', headers: AUTH, payload: { name: 'contract-keys' } }, { status: 200 })
  await call(t, 'createApiKey', create({ name: 'n', scopes: ['secrets:list'], teams: [other.id] }, manager.headers), { status: 404, code: 'team_not_found' })
  const narrower = await createKey(t, { name: 'narrower', scopes: ['secrets:list'] }, manager.headers)
  t.strictSame(narrower.body.teams, [teamId], 'without teams, the caller\'s teams')
  const managed = (await call(t, 'listApiKeys', { method: 'GET', url: '/v1/api_keys', headers: manager.headers }, { status: 200 })).api_keys as { id: string, teams: string[] | null }[]
  t.ok([deployer.id, manager.id, narrower.id].every(id => managed.some(k => k.id === id)), 'a team-bound key sees the keys of its teams')
  t.ok(managed.every(k => k.teams !== null && k.teams.every(team => team === teamId)), 'and no other')
  await call(t, 'revokeApiKey', { method: 'DELETE', url: `/v1/api_keys/${String(unbound.id)}`, headers: manager.headers }, { status: 404, code: 'key_not_found' })

  const revoke = (id: string, headers: Record<string, string> = AUTH): InjectOptions => ({ method: 'DELETE', url: `/v1/api_keys/${id}`, headers })
  const revoked = await call(t, 'revokeApiKey', revoke(narrower.id, manager.headers), { status: 200 })
  t.match(revoked, { id: narrower.id, revoked: true, revoked_at: String })
  t.notOk('key' in revoked, 'the answer holds no key')
  await call(t, 'listSecrets', { method: 'GET', url: '/v1/secrets', headers: narrower.headers }, { status: 401, code: 'invalid_api_key' })
  const again = await call(t, 'revokeApiKey', revoke(narrower.id), { status: 200 })
  t.equal(again.revoked_at, revoked.revoked_at, 'revoking a revoked key changes nothing')
  await call(t, 'revokeApiKey', revoke('doesnotexist'), { status: 404, code: 'key_not_found' })
  await call(t, 'revokeApiKey', revoke('%E0%A4%A'), { status: 400, code: 'bad_url' })
  await call(t, 'revokeApiKey', { ...revoke(deployer.id), payload: 'x=y' }, { status: 415, code: 'unsupported_media_type' })
  // a key may revoke itself
  await call(t, 'revokeApiKey', revoke(manager.id, manager.headers), { status: 200 })
  await call(t, 'listApiKeys', { method: 'GET', url: '/v1/api_keys', headers: manager.headers }, { status: 401, code: 'invalid_api_key' })
  for (const id of [deployer.id, String(unbound.id)]) await call(t, 'revokeApiKey', revoke(id), { status: 200 })
  await call(t, 'deleteTeam', { method: 'DELETE', url: `/v1/teams/${String(other.id)}`, headers: AUTH }, { status: 200 })
})

t.test('teams', async t => {
  const defaultId = await defaultTeamId(t)
  const create = (payload: unknown, headers: Record<string, string> = AUTH): InjectOptions =>
    ({ method: 'POST', url: '/v1/teams', headers, payload: payload as string })
  const remove = (id: string, headers: Record<string, string> = AUTH): InjectOptions => ({ method: 'DELETE', url: `/v1/teams/${id}`, headers })

  const team = await call(t, 'createTeam', create({ name: 'ml-platform' }), { status: 200 })
  t.match(team, { name: 'ml-platform' })
  const teamId = String(team.id)
  const listed = await call(t, 'listTeams', { method: 'GET', url: '/v1/teams', headers: AUTH }, { status: 200 })
  t.ok((listed.teams as { id: string, name: string }[]).some(x => x.id === teamId && x.name === 'ml-platform'), 'listed')
  await call(t, 'createTeam', create({ name: 'ml-platform' }), { status: 409, code: 'team_exists' })
  for (const name of ['ml platform', '', 'n'.repeat(65), 'ml/platform']) {
    await call(t, 'createTeam', create({ name }), { status: 400, code: 'invalid_name' })
  }
  for (const payload of [{}, { name: 5 }, '', '"ml"']) await call(t, 'createTeam', create(payload), { status: 400, code: 'invalid_body' })
  await call(t, 'createTeam', create('{"name"', { ...AUTH, 'content-type': 'application/json' }), { status: 400, code: 'invalid_json' })
  await call(t, 'createTeam', create('name=ml'), { status: 415, code: 'unsupported_media_type' })

  // a key bound to teams may neither create teams nor touch other teams, and its own team is in use
  const bound = await createKey(t, { name: 'team admin', scopes: ['teams:manage'], teams: [teamId] })
  await call(t, 'createTeam', create({ name: 'another' }, bound.headers), { status: 403, code: 'team_bound_key' })
  await call(t, 'deleteTeam', remove(defaultId, bound.headers), { status: 404, code: 'team_not_found' })
  await call(t, 'deleteTeam', remove(teamId, bound.headers), { status: 409, code: 'team_in_use' })
  await call(t, 'revokeApiKey', { method: 'DELETE', url: `/v1/api_keys/${bound.id}`, headers: AUTH }, { status: 200 })

  // secrets keep a team in use, the trash included
  const secrets = `/v1/teams/${teamId}/secrets`
  await call(t, 'upsertTeamSecret', upsertRequest(secrets, 'model_key', 'v'), { status: 200 })
  await call(t, 'deleteTeam', remove(teamId), { status: 409, code: 'team_in_use' })
  await call(t, 'deleteTeamSecret', { method: 'DELETE', url: `${secrets}/model_key`, headers: AUTH }, { status: 200 })
  await call(t, 'deleteTeam', remove(teamId), { status: 409, code: 'team_in_use' })
  await call(t, 'destroyTeamTrash', { method: 'DELETE', url: `/v1/teams/${teamId}/trash/model_key`, headers: AUTH }, { status: 200 })
  const deleted = await call(t, 'deleteTeam', remove(teamId), { status: 200 })
  t.strictSame(deleted, team, 'the deleted team is answered')
  await call(t, 'deleteTeam', remove(teamId), { status: 404, code: 'team_not_found' })
  await call(t, 'listTeamSecrets', { method: 'GET', url: secrets, headers: AUTH }, { status: 404, code: 'team_not_found' })
  await call(t, 'deleteTeam', remove(defaultId), { status: 409, code: 'default_team' })
  await call(t, 'deleteTeam', remove('team_doesnotexist'), { status: 404, code: 'team_not_found' })
  await call(t, 'deleteTeam', remove('%E0%A4%A'), { status: 400, code: 'bad_url' })
  await call(t, 'deleteTeam', { ...remove(defaultId), headers: { ...AUTH, 'content-type': 'application/json' }, payload: '{' }, { status: 400, code: 'invalid_json' })
})

interface AuditEntry {
  id: number
  created_at: string
  event_type: string
  outcome: string
  key_id: string | null
  team_id: string | null
  secret_name: string | null
  detail: string | null
}

t.test('audit log', async t => {
  const teamId = await defaultTeamId(t)
  const list = async (query: string, headers: Record<string, string> = AUTH): Promise<{ entries: AuditEntry[], next: string | null }> => {
    const body = await call(t, 'listAuditLogs', { method: 'GET', url: `/v1/audit_logs${query}`, headers }, { status: 200 })
    return { entries: body.audit_logs as AuditEntry[], next: body.next_cursor as string | null }
  }

  const first = await list('')
  t.ok(first.entries.every((e, i) => i === 0 || e.id < (first.entries[i - 1]?.id ?? 0)), 'newest first')
  await call(t, 'listAuditLogs', { method: 'GET', url: '/v1/audit_logs/', headers: AUTH }, { status: 200 })

  // every page, once each
  const all: AuditEntry[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const page = await list(`?limit=1000${cursor === null ? '' : `&cursor=${cursor}`}`)
    all.push(...page.entries)
    cursor = page.next
    pages++
  } while (cursor !== null && pages < 100)
  t.equal(cursor, null, 'the last page says so')
  t.equal(new Set(all.map(e => e.id)).size, all.length, 'no entry twice')
  t.equal(first.entries.length, Math.min(100, all.length), '100 entries a page by default')
  t.equal(first.next === null, all.length <= 100, 'next_cursor only when there is more')
  t.notOk(issuedKeys.some(key => JSON.stringify(all).includes(key)), 'no API key is ever recorded')
  t.notOk(JSON.stringify(all).includes('line 1\\nline 2'), 'no value is ever recorded')

  // what the earlier tests did is there, and the filters find it
  for (const type of ['SECRET_UPDATED', 'SECRET_DELETED', 'SECRET_READ', 'SECRET_RESTORED', 'SECRET_DESTROYED',
    'KEY_CREATED', 'KEY_REVOKED', 'TEAM_CREATED', 'TEAM_DELETED', 'AUTH_FAILED', 'ACCESS_DENIED']) {
    const { entries } = await list(`?event_type=${type}&limit=5`)
    t.ok(entries.length > 0 && entries.every(e => e.event_type === type), `event_type=${type}`)
  }
  const refusals = (await list('?action=AUTH_FAILED&limit=1000')).entries
  t.ok(refusals.length > 0 && refusals.every(e => e.outcome === 'denied'), 'action is another name for event_type')
  t.ok(refusals.filter(e => /: missing_api_key$/.test(e.detail ?? '')).every(e => e.key_id === null), 'no key, no key id')
  t.ok(refusals.some(e => /: missing_api_key$/.test(e.detail ?? '')), 'a refusal says why')
  const denied = (await list('?event_type=ACCESS_DENIED&limit=1000')).entries
  t.match(denied.find(e => /insufficient_scope$/.test(e.detail ?? '')), { outcome: 'denied', key_id: String }, 'a missing scope')
  t.match(denied.find(e => /team_bound_key$/.test(e.detail ?? '')), { outcome: 'denied', key_id: String }, 'a team-bound key on the whole store')
  const rotating = (await list('?secret_name=rotating')).entries
  t.ok(rotating.length > 0 && rotating.every(e => e.secret_name === 'rotating'), 'secret_name')
  const adminId = ((await call(t, 'listApiKeys', { method: 'GET', url: '/v1/api_keys', headers: AUTH }, { status: 200 })).api_keys as { id: string, name: string }[])
    .find(k => k.name === 'admin')?.id ?? 'none'
  const byAdmin = (await list(`?key_id=${adminId}&limit=50`)).entries
  t.ok(byAdmin.length > 0 && byAdmin.every(e => e.key_id === adminId), 'key_id')
  const newest = first.entries[0]
  if (newest === undefined) throw new Error('an empty audit log')
  t.ok((await list(`?since=${encodeURIComponent(newest.created_at)}`)).entries.some(e => e.id === newest.id), 'since is inclusive')
  t.notOk((await list(`?until=${encodeURIComponent(newest.created_at)}`)).entries.some(e => e.id === newest.id), 'until is exclusive')
  t.strictSame(await list('?until=2000-01-01'), { entries: [], next: null }, 'nothing before the log began')
  t.strictSame(await list('?event_type=NO_SUCH_EVENT'), { entries: [], next: null })

  // pages
  const page1 = await list('?limit=2&event_type=SECRET_UPDATED')
  t.equal(page1.entries.length, 2)
  t.type(page1.next, 'string')
  const page2 = await list(`?limit=2&event_type=SECRET_UPDATED&cursor=${String(page1.next)}`)
  t.ok(page2.entries.length > 0 && page2.entries.every(e => e.id < (page1.entries[1]?.id ?? 0) && e.event_type === 'SECRET_UPDATED'),
    'the next page is older')

  // a team-bound key sees its teams' entries only
  const teamAuditor = await createKey(t, { name: 'team auditor', scopes: ['audit:read'], teams: [teamId] })
  const seenByTeam = (await list('?limit=1000', teamAuditor.headers)).entries
  t.ok(seenByTeam.length > 0 && seenByTeam.every(e => e.team_id === teamId), 'only entries of its team')
  await call(t, 'revokeApiKey', { method: 'DELETE', url: `/v1/api_keys/${teamAuditor.id}`, headers: AUTH }, { status: 200 })

  for (const query of ['limit=0', 'limit=1001', 'limit=x', 'limit=1&limit=2', 'since=yesterday', 'until=never', 'since=2024-01-01&since=2024-02-01']) {
    await call(t, 'listAuditLogs', { method: 'GET', url: `/v1/audit_logs?${query}`, headers: AUTH }, { status: 400, code: 'invalid_query' })
  }
  for (const query of ['cursor=abc', 'cursor=', 'cursor=-1']) {
    await call(t, 'listAuditLogs', { method: 'GET', url: `/v1/audit_logs?${query}`, headers: AUTH }, { status: 400, code: 'invalid_cursor' })
  }
  // any parameter given twice is refused before a handler sees it
  for (const query of ['event_type=KEY_CREATED&event_type=KEY_REVOKED', 'action=A&action=B', 'secret_name=a&secret_name=b', 'key_id=a&key_id=b', 'cursor=1&cursor=2']) {
    await call(t, 'listAuditLogs', { method: 'GET', url: `/v1/audit_logs?${query}`, headers: AUTH }, { status: 400, code: 'invalid_query' })
  }

  const verified = await call(t, 'verifyAuditLogs', { method: 'GET', url: '/v1/audit_logs/verify', headers: AUTH }, { status: 200 })
  t.equal(verified.valid, true, 'the chain holds')
  t.ok(Number(verified.entries) >= all.length, 'every entry is checked')
  t.ok(((verified.head as { id: number } | null)?.id ?? 0) >= newest.id, 'the head is the newest entry')
})

t.test('metrics', async t => {
  const prometheus = /^text\/plain; version=0\.0\.4; charset=utf-8$/
  // the app the tests above used: every kind of Trove metric has something to say
  const scraped = await check(t, 'metrics', { method: 'GET', url: '/metrics' }, { status: 200, contentType: prometheus })
  const text = String(scraped.body)
  for (const [name, type] of [
    ['trove_http_request_duration_seconds', 'histogram'], ['trove_auth_failures_total', 'counter'], ['trove_secrets', 'gauge'],
    ['trove_api_keys', 'gauge'], ['trove_database_bytes', 'gauge'], ['trove_audit_entries', 'gauge']
  ]) t.match(text, new RegExp(`^# TYPE ${name} ${type}$`, 'm'), `${name} is a ${type}`)
  t.match(text, /^trove_secrets\{team="default",state="live"\} [1-9]\d*$/m, 'trove_secrets by team and state')
  t.match(text, /^trove_secrets\{team="default",state="trashed"\} \d+$/m)
  t.match(text, /^trove_http_request_duration_seconds_count\{method="GET",route="\/v1\/secrets\/:secret_name",status_code="200"\} [1-9]/m,
    'requests by route template')
  t.match(text, /^trove_auth_failures_total\{reason="unknown"\} [1-9]/m, 'refused keys by reason')
  t.match(text, /^trove_api_keys\{team="\*"\} [1-9]/m)
  t.match(text, /^trove_database_bytes \d+$/m)
  t.match(text, /^trove_audit_entries [1-9]\d*$/m)
  t.match(text, /^# TYPE trove_process_resident_memory_bytes gauge$/m, 'process metrics are prefixed trove_')
  t.match(text, /^# TYPE trove_nodejs_eventloop_lag_seconds gauge$/m)
  t.notMatch(text, /trove_process_process_|trove_process_nodejs_/, 'and only once')
  t.notOk([TEST_KEY, ...issuedKeys].some(key => text.includes(key)), 'no API key in the metrics')
  t.notOk(text.includes('line 1'), 'no value in the metrics')

  // with TROVE_METRICS_TOKEN, only that token opens them
  const token = 'contract-metrics-token-0123456789'
  const guardedTrove = await openTestTrove()
  const { app: guarded } = await buildRecordedApp(guardedTrove, guardedTrove.store, { ...UNLIMITED, metricsToken: token })
  t.teardown(async () => {
    await guarded.close()
    await guardedTrove.close()
  })
  const refusals = [undefined, { authorization: 'Bearer wrong-token' }, AUTH, { authorization: token }, { authorization: `bearer ${token}` }]
  for (const headers of refusals) {
    const { res } = await check(t, 'metrics', { method: 'GET', url: '/metrics', headers }, { status: 401, code: 'invalid_metrics_token', target: guarded })
    t.equal(res.headers['www-authenticate'], 'Bearer realm="trove-metrics"')
  }
  const opened = await check(t, 'metrics', { method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } },
    { status: 200, contentType: prometheus, target: guarded })
  t.notMatch(opened.body, /^trove_auth_failures_total\{/m, 'a refused metrics token is not an API-key failure')
  // the key is still needed on /v1
  await call(t, 'listTeams', { method: 'GET', url: '/v1/teams', headers: { authorization: `Bearer ${token}` } },
    { status: 401, code: 'invalid_api_key', target: guarded })

  // the gauges read the database when scraped
  t.teardown(() => { delete faults.stats })
  faults.stats = async () => { throw sqliteError('SQLITE_BUSY') }
  await call(t, 'metrics', { method: 'GET', url: '/metrics' }, { status: 503, code: 'storage_busy', target: faultyApp })
  faults.stats = async () => { throw new Error('unexpected') }
  await call(t, 'metrics', { method: 'GET', url: '/metrics' }, { status: 500, code: 'internal_error', target: faultyApp })
  delete faults.stats
  await check(t, 'metrics', { method: 'GET', url: '/metrics' }, { status: 200, contentType: prometheus, target: faultyApp })
})

t.test('operations on the server: rotation, rekey and backup', async t => {
  // a store of their own, since they change its keys
  const opsTrove = await openTestTrove()
  const { app: target } = await buildRecordedApp(opsTrove, opsTrove.store, UNLIMITED)
  t.teardown(async () => {
    await target.close()
    await opsTrove.close()
  })
  const sys = {
    rotate: { method: 'POST', url: '/v1/sys/rotate' },
    rotation: { method: 'GET', url: '/v1/sys/rotation' },
    rekey: { method: 'POST', url: '/v1/sys/rekey' },
    backup: { method: 'GET', url: '/v1/sys/backup' }
  } as const
  const operationIds = { rotate: 'rotateKeys', rotation: 'getRotation', rekey: 'rekey', backup: 'backup' } as const
  const value = async (name: string, version?: number): Promise<unknown> => (await call(t, 'getSecretValue', {
    method: 'GET', url: `/v1/secrets/${name}/value${version === undefined ? '' : `?version=${version}`}`, headers: AUTH
  }, { status: 200, target })).value
  await call(t, 'upsertSecret', upsertRequest('/v1/secrets', 'ops_one', 'ops-value-one-v1'), { status: 200, target })
  await call(t, 'upsertSecret', upsertRequest('/v1/secrets', 'ops_one', 'ops-value-one-v2'), { status: 200, target })
  await call(t, 'upsertSecret', upsertRequest('/v1/secrets', 'ops_two', 'ops-value-two'), { status: 200, target })
  await call(t, 'deleteSecret', { method: 'DELETE', url: '/v1/secrets/ops_two', headers: AUTH }, { status: 200, target })

  // the admin scope and nothing less
  const scopes = (spec.components.schemas.Scope?.enum as string[]).filter(scope => scope !== 'admin')
  const allButAdmin = await createKey(t, { name: 'all but admin', scopes }, AUTH, target)
  for (const [name, request] of Object.entries(sys)) {
    const operationId = operationIds[name as keyof typeof sys]
    await call(t, operationId, request, { status: 401, code: 'missing_api_key', target })
    const { res } = await check(t, operationId, { ...request, headers: allButAdmin.headers }, { status: 403, code: 'insufficient_scope', target })
    t.equal(res.headers['www-authenticate'], 'Bearer realm="trove", error="insufficient_scope", scope="admin"')
  }

  // rotation
  const idle = await call(t, 'getRotation', { ...sys.rotation, headers: AUTH }, { status: 200, target })
  t.strictSame(idle, { state: 'idle', active_term: 1, total: 0, rewrapped: 0, remaining: 0, terms: [1], started_at: null, finished_at: null },
    'no rotation yet')
  const started = await call(t, 'rotateKeys', { ...sys.rotate, headers: AUTH }, { status: 200, target })
  t.match(started, { state: 'running', active_term: 2, total: 3, rewrapped: 0, remaining: 3, terms: [1, 2], started_at: String, finished_at: null },
    'a new term at once; every stored version, the trash included, to re-encrypt')
  let status = started
  for (let polls = 0; status.state === 'running' && polls < 100; polls++) {
    // inject never leaves the microtask queue: let the batches run
    await new Promise(resolve => setImmediate(resolve))
    status = await call(t, 'getRotation', { ...sys.rotation, headers: AUTH }, { status: 200, target })
  }
  t.match(status, { state: 'idle', active_term: 2, total: 3, rewrapped: 3, remaining: 0, terms: [2], started_at: started.started_at, finished_at: String },
    'done: the old term is dropped')
  t.same([...(await opsTrove.store.termUsage()).keys()], [2], 'every version is under the new term')
  t.equal(await value('ops_one'), 'ops-value-one-v2')
  t.equal(await value('ops_one', 1), 'ops-value-one-v1', 'old versions too')
  await call(t, 'rotateKeys', { ...sys.rotate, headers: AUTH, payload: '{}' }, { status: 200, target })
  await call(t, 'rotateKeys', { ...sys.rotate, headers: AUTH, payload: 'rotate=now' }, { status: 415, code: 'unsupported_media_type', target })
  await call(t, 'rotateKeys', { ...sys.rotate, headers: { ...AUTH, 'content-type': 'application/json' }, payload: '{' }, { status: 400, code: 'invalid_json', target })
  for (let polls = 0; status.state !== 'idle' || status.active_term !== 3; polls++) {
    if (polls === 100) throw new Error('the second rotation did not finish')
    await new Promise(resolve => setImmediate(resolve))
    status = await call(t, 'getRotation', { ...sys.rotation, headers: AUTH }, { status: 200, target })
  }

  // rekey: refusals change nothing
  const dir = t.testdir()
  const keyring = async (): Promise<string[]> => (await opsTrove.store.listKeyring()).map(record => record.wrapped.toString('base64'))
  const wrapped = await keyring()
  const rekey = (payload: unknown, headers: Record<string, string> = {}): InjectOptions =>
    ({ ...sys.rekey, headers: { ...AUTH, ...headers }, payload: payload as string })
  for (const payload of ['', {}, { new_master_key_file: '' }, { new_master_key_file: 5 }, '["new.key"]', { key: 'new.key' }]) {
    await call(t, 'rekey', rekey(payload), { status: 400, code: 'invalid_body', target })
  }
  await call(t, 'rekey', rekey('{"new_master_key_file": ', { 'content-type': 'application/json' }), { status: 400, code: 'invalid_json', target })
  await call(t, 'rekey', rekey('new_master_key_file=new.key'), { status: 415, code: 'unsupported_media_type', target })
  await call(t, 'rekey', rekey({ new_master_key_file: 'x', pad: 'a'.repeat(1024 * 1024) }), { status: 413, code: 'body_too_large', target })
  const unusable = [
    join(dir, 'missing.key'),
    writeMasterKeyFile(dir, 'group-readable.key', { mode: 0o640 }),
    writeMasterKeyFile(dir, 'world-readable.key', { mode: 0o604 }),
    writeMasterKeyFile(dir, 'short.key', { text: randomBytes(16).toString('base64') }),
    writeMasterKeyFile(dir, 'long.key', { text: randomBytes(33).toString('base64') }),
    writeMasterKeyFile(dir, 'hex.key', { text: randomBytes(32).toString('hex') }),
    writeMasterKeyFile(dir, 'empty.key', { text: '' })
  ]
  for (const file of unusable) {
    const refused = await call(t, 'rekey', rekey({ new_master_key_file: file }), { status: 400, code: 'invalid_master_key', target })
    const text = readKeyText(file)
    if (text !== '') t.notOk(String(refused.message).includes(text), `${file}: the message holds no key`)
  }
  t.strictSame(await keyring(), wrapped, 'the keyring is as it was')

  // rekey: every keyring entry wrapped anew, and the app keeps serving
  const keyFile = writeMasterKeyFile(dir, 'new.key')
  const rekeyed = await call(t, 'rekey', rekey({ new_master_key_file: keyFile }), { status: 200, target })
  const rewrapped = await keyring()
  t.strictSame(rekeyed, { rekeyed: true, keyring_entries: rewrapped.length })
  t.ok(rewrapped.every(entry => !wrapped.includes(entry)), 'every entry is wrapped under the new key')
  t.equal(await value('ops_one'), 'ops-value-one-v2', 'values still read after the rekey')
  await call(t, 'upsertSecret', upsertRequest('/v1/secrets', 'ops_three', 'ops-value-three'), { status: 200, target })
  t.equal(await value('ops_three'), 'ops-value-three', 'and new ones are written')
  await call(t, 'listApiKeys', { method: 'GET', url: '/v1/api_keys', headers: AUTH }, { status: 200, target })
  await call(t, 'getRotation', { ...sys.rotation, headers: AUTH }, { status: 200, target })

  // backup: a SQLite file holding every version, only as ciphertext
  const backup = await check(t, 'backup', { ...sys.backup, headers: AUTH }, { status: 200, contentType: /^application\/vnd\.sqlite3$/, target })
  t.equal(backup.res.rawPayload.subarray(0, 15).toString('latin1'), 'SQLite format 3', 'a SQLite database file')
  t.equal(backup.res.headers['content-disposition'], 'attachment; filename="trove-backup.db"')
  t.equal(backup.res.headers['x-trove-backup-versions'], '4', 'every version, the trash included, was checked')
  t.notOk(backup.res.rawPayload.includes(Buffer.from('ops-value')), 'no value in the clear')
  t.notOk(backup.res.rawPayload.includes(Buffer.from(readKeyText(keyFile))), 'no master key')

  // failures, on the app whose store a test may break
  const faulty = faultyApp
  const clear = (): void => {
    for (const key of Object.keys(faults)) delete faults[key as keyof Store]
  }
  t.teardown(clear)
  faults.listKeyring = async () => (await faultyTrove.store.listKeyring()).slice(1)
  await call(t, 'backup', { ...sys.backup, headers: AUTH }, { status: 500, code: 'backup_failed', target: faulty })
  clear()
  faults.backup = async () => { throw sqliteError('SQLITE_FULL') }
  await call(t, 'backup', { ...sys.backup, headers: AUTH }, { status: 507, code: 'storage_full', target: faulty })
  faults.addDataKey = async () => { throw sqliteError('SQLITE_FULL') }
  await call(t, 'rotateKeys', { ...sys.rotate, headers: AUTH }, { status: 507, code: 'storage_full', target: faulty })
  faults.replaceKeyring = async () => { throw sqliteError('SQLITE_FULL') }
  await call(t, 'rekey', { ...sys.rekey, headers: AUTH, payload: { new_master_key_file: writeMasterKeyFile(dir, 'faulty.key') } },
    { status: 507, code: 'storage_full', target: faulty })
  clear()
  const unchanged = await call(t, 'getRotation', { ...sys.rotation, headers: AUTH }, { status: 200, target: faulty })
  t.notOk(unchanged.state === 'running', 'a rotation whose term was not stored does not run')
  await call(t, 'listSecrets', { method: 'GET', url: '/v1/secrets', headers: AUTH }, { status: 200, target: faulty })
  await check(t, 'backup', { ...sys.backup, headers: AUTH }, { status: 200, contentType: /^application\/vnd\.sqlite3$/, target: faulty })
})

t.test('the per-key rate limit', async t => {
  const limitedTrove = await openTestTrove()
  const { app: target } = await buildRecordedApp(limitedTrove, limitedTrove.store, { rateLimit: 2, authFailureLimit: 1_000_000 })
  t.teardown(async () => {
    await target.close()
    await limitedTrove.close()
  })
  const teamId = (await limitedTrove.store.listTeams())[0]?.id ?? 'none'
  for (const op of v1Operations) {
    const request: InjectOptions = {
      method: op.method as 'GET', url: urlOf(op, { team_id: teamId, secret_name: 'n' }), headers: AUTH, payload: op.method === 'GET' ? undefined : 'not json'
    }
    // two requests a second are allowed (or already spent); the third is not
    await target.inject(request)
    await target.inject(request)
    const { res, body } = await check(t, op.spec.operationId, request, { status: 429, code: 'rate_limited', target })
    t.equal(res.headers['retry-after'], '1', `${op.spec.operationId}: Retry-After`)
    t.match(body, { error: 'Rate limit exceeded. Please try again later.', retry_after: 1 })
  }
  // the limit is per key: another key has its own budget
  const otherKey = 'contract-other-key-0123456789abc'
  await limitedTrove.store.insertApiKey(prepareApiKey(limitedTrove.keyring, { name: 'other', scopes: ['admin'], teams: null, key: otherKey }, new Date()).record)
  await call(t, 'listTeams', { method: 'GET', url: '/v1/teams', headers: { authorization: `Bearer ${otherKey}` } }, { status: 200, target })
  await call(t, 'health', { method: 'GET', url: '/healthz' }, { status: 200, target })
})

t.test('the limit on failed authentications', async t => {
  const guardedTrove = await openTestTrove()
  const { app: target } = await buildRecordedApp(guardedTrove, guardedTrove.store, { authFailureLimit: 2 })
  t.teardown(async () => {
    await target.close()
    await guardedTrove.close()
  })
  const teamId = (await guardedTrove.store.listTeams())[0]?.id ?? 'none'
  await call(t, 'listTeams', { method: 'GET', url: '/v1/teams', headers: AUTH }, { status: 200, target })
  await call(t, 'listTeams', { method: 'GET', url: '/v1/teams' }, { status: 401, code: 'missing_api_key', target })
  await call(t, 'listSecrets', { method: 'GET', url: '/v1/secrets', headers: { authorization: 'Bearer not-a-known-key-000000000000' } },
    { status: 401, code: 'invalid_api_key', target })
  // two failures from this address: every /v1 request from it is refused, even with the right key
  for (const op of v1Operations) {
    const request: InjectOptions = {
      method: op.method as 'GET', url: urlOf(op, { team_id: teamId, secret_name: 'n' }), headers: AUTH, payload: op.method === 'GET' ? undefined : 'not json'
    }
    const { res, body } = await check(t, op.spec.operationId, request, { status: 429, code: 'rate_limited', target })
    const wait = Number(res.headers['retry-after'])
    t.ok(Number.isInteger(wait) && wait >= 1 && wait <= 60, `${op.spec.operationId}: Retry-After is at most a minute`, { wait })
    t.match(body, { error: 'Rate limit exceeded. Please try again later.', retry_after: wait })
  }
  await call(t, 'listTeams', { method: 'GET', url: '/v1/teams' }, { status: 429, code: 'rate_limited', target })
  await call(t, 'health', { method: 'GET', url: '/healthz' }, { status: 200, target })
  await call(t, 'ready', { method: 'GET', url: '/readyz' }, { status: 200, target })
})

t.test('storage failures', async t => {
  const target = faultyApp
  const clear = (): void => {
    for (const key of Object.keys(faults)) delete faults[key as keyof Store]
  }
  t.teardown(clear)
  await call(t, 'upsertSecret', { method: 'POST', url: '/v1/secrets', headers: AUTH, payload: { name: 'kept', value: 'v' } }, { status: 200, target })
  await call(t, 'upsertSecret', { method: 'POST', url: '/v1/secrets', headers: AUTH, payload: { name: 'binned', value: 'v' } }, { status: 200, target })
  await call(t, 'deleteSecret', { method: 'DELETE', url: '/v1/secrets/binned', headers: AUTH }, { status: 200, target })
  const teams = await call(t, 'listTeams', { method: 'GET', url: '/v1/teams', headers: AUTH }, { status: 200, target })
  const teamId = (teams.teams as { id: string }[])[0]?.id ?? 'none'

  faults.upsertSecrets = async () => { throw sqliteError('SQLITE_FULL') }
  await call(t, 'upsertSecret', { method: 'POST', url: '/v1/secrets', headers: AUTH, payload: { name: 'n', value: 'v' } },
    { status: 507, code: 'storage_full', target })
  await call(t, 'upsertTeamSecret', { method: 'POST', url: `/v1/teams/${teamId}/secrets`, headers: AUTH, payload: { name: 'n', value: 'v' } },
    { status: 507, code: 'storage_full', target })
  await call(t, 'rollbackSecret', { method: 'POST', url: '/v1/secrets/kept/rollback', headers: AUTH, payload: { version: 1 } },
    { status: 507, code: 'storage_full', target })
  await call(t, 'rollbackTeamSecret', { method: 'POST', url: `/v1/teams/${teamId}/secrets/kept/rollback`, headers: AUTH, payload: { version: 1 } },
    { status: 507, code: 'storage_full', target })
  await call(t, 'importSecrets', { method: 'POST', url: '/v1/secrets/import?format=dotenv', headers: AUTH, payload: 'N=1' },
    { status: 507, code: 'storage_full', target })
  await call(t, 'importTeamSecrets', { method: 'POST', url: `/v1/teams/${teamId}/secrets/import?format=dotenv`, headers: AUTH, payload: 'N=1' },
    { status: 507, code: 'storage_full', target })
  const dry = await call(t, 'importSecrets', { method: 'POST', url: '/v1/secrets/import?format=dotenv&dry_run=true', headers: AUTH, payload: 'N=1' },
    { status: 200, target })
  t.equal(dry.applied, false, 'a dry run does not write')
  faults.upsertSecrets = async () => { throw sqliteError('SQLITE_BUSY') }
  const busy = await check(t, 'upsertSecret', { method: 'POST', url: '/v1/secrets', headers: AUTH, payload: { name: 'n', value: 'v' } },
    { status: 503, code: 'storage_busy', target })
  t.equal(busy.res.headers['retry-after'], '1')
  // PostgreSQL: other processes made a new data key active during every attempt of a write
  faults.upsertSecrets = async () => { throw new KeyringChanged() }
  for (const [operationId, url, payload] of [
    ['upsertSecret', '/v1/secrets', { name: 'n', value: 'v' }],
    ['upsertTeamSecret', `/v1/teams/${teamId}/secrets`, { name: 'n', value: 'v' }],
    ['rollbackSecret', '/v1/secrets/kept/rollback', { version: 1 }],
    ['rollbackTeamSecret', `/v1/teams/${teamId}/secrets/kept/rollback`, { version: 1 }],
    ['importSecrets', '/v1/secrets/import?format=dotenv', 'N=1'],
    ['importTeamSecrets', `/v1/teams/${teamId}/secrets/import?format=dotenv`, 'N=1']
  ] as const) {
    await call(t, operationId, { method: 'POST', url, headers: AUTH, payload }, { status: 409, code: 'keyring_changed', target })
  }
  faults.trashSecret = async () => { throw sqliteError('SQLITE_FULL') }
  await call(t, 'deleteSecret', { method: 'DELETE', url: '/v1/secrets/kept', headers: AUTH }, { status: 507, code: 'storage_full', target })
  await call(t, 'deleteTeamSecret', { method: 'DELETE', url: `/v1/teams/${teamId}/secrets/kept`, headers: AUTH }, { status: 507, code: 'storage_full', target })
  faults.restoreSecret = async () => { throw sqliteError('SQLITE_FULL') }
  await call(t, 'restoreTrash', { method: 'POST', url: '/v1/trash/binned/restore', headers: AUTH }, { status: 507, code: 'storage_full', target })
  faults.restoreSecret = async () => { throw sqliteError('SQLITE_BUSY') }
  await call(t, 'restoreTeamTrash', { method: 'POST', url: `/v1/teams/${teamId}/trash/binned/restore`, headers: AUTH }, { status: 503, code: 'storage_busy', target })
  faults.destroyTrashed = async () => { throw sqliteError('SQLITE_FULL') }
  await call(t, 'destroyTrash', { method: 'DELETE', url: '/v1/trash/binned', headers: AUTH }, { status: 507, code: 'storage_full', target })
  await call(t, 'destroyTeamTrash', { method: 'DELETE', url: `/v1/teams/${teamId}/trash/binned`, headers: AUTH }, { status: 507, code: 'storage_full', target })
  faults.listTrash = async () => { throw new Error('unexpected') }
  await call(t, 'listTrash', { method: 'GET', url: '/v1/trash', headers: AUTH }, { status: 500, code: 'internal_error', target })
  await call(t, 'listTeamTrash', { method: 'GET', url: `/v1/teams/${teamId}/trash`, headers: AUTH }, { status: 500, code: 'internal_error', target })
  faults.listVersions = async () => { throw sqliteError('SQLITE_BUSY') }
  await call(t, 'listSecretVersions', { method: 'GET', url: '/v1/secrets/kept/versions', headers: AUTH }, { status: 503, code: 'storage_busy', target })
  await call(t, 'listTeamSecretVersions', { method: 'GET', url: `/v1/teams/${teamId}/secrets/kept/versions`, headers: AUTH }, { status: 503, code: 'storage_busy', target })
  faults.listSecretsPage = async () => { throw new Error('unexpected') }
  await call(t, 'listSecrets', { method: 'GET', url: '/v1/secrets?limit=1', headers: AUTH }, { status: 500, code: 'internal_error', target })
  await call(t, 'listTeamSecrets', { method: 'GET', url: `/v1/teams/${teamId}/secrets?limit=1`, headers: AUTH }, { status: 500, code: 'internal_error', target })
  clear()

  faults.readVersion = async () => undefined
  faults.findSecretWithVersion = async (teamKdfId, nameKey, version) => {
    const found = await faultyTrove.store.findSecretWithVersion(teamKdfId, nameKey, version)
    return found === undefined ? undefined : { secret: found.secret, version: undefined }
  }
  await call(t, 'getSecretValue', { method: 'GET', url: '/v1/secrets/kept/value', headers: AUTH }, { status: 500, code: 'integrity_error', target })
  await call(t, 'resolveSecrets', { method: 'POST', url: '/v1/secrets/resolve', headers: AUTH, payload: { names: ['kept'] } },
    { status: 500, code: 'integrity_error', target })
  await call(t, 'rollbackSecret', { method: 'POST', url: '/v1/secrets/kept/rollback', headers: AUTH, payload: { version: 1 } },
    { status: 500, code: 'integrity_error', target })
  faults.readVersion = async (secretId, version) => {
    const stored = await faultyTrove.store.readVersion(secretId, version)
    if (stored === undefined) return undefined
    const blob = Buffer.from(stored.blob)
    blob[blob.length - 1] = (blob[blob.length - 1] ?? 0) ^ 0xff
    return { ...stored, blob }
  }
  faults.findSecretWithVersion = async (teamKdfId, nameKey, version) => {
    const found = await faultyTrove.store.findSecretWithVersion(teamKdfId, nameKey, version)
    if (found?.version === undefined) return found
    const blob = Buffer.from(found.version.blob)
    blob[blob.length - 1] = (blob[blob.length - 1] ?? 0) ^ 0xff
    return { secret: found.secret, version: { ...found.version, blob } }
  }
  await call(t, 'getSecretValue', { method: 'GET', url: '/v1/secrets/kept/value', headers: AUTH }, { status: 500, code: 'integrity_error', target })
  await call(t, 'getTeamSecretValue', { method: 'GET', url: `/v1/teams/${teamId}/secrets/kept/value`, headers: AUTH }, { status: 500, code: 'integrity_error', target })
  await call(t, 'resolveTeamSecrets', { method: 'POST', url: `/v1/teams/${teamId}/secrets/resolve`, headers: AUTH, payload: { names: ['kept'] } },
    { status: 500, code: 'integrity_error', target })
  await call(t, 'exportSecrets', { method: 'GET', url: '/v1/secrets/export?format=dotenv', headers: AUTH }, { status: 500, code: 'integrity_error', target })
  await call(t, 'exportTeamSecrets', { method: 'GET', url: `/v1/teams/${teamId}/secrets/export?format=json`, headers: AUTH },
    { status: 500, code: 'integrity_error', target })
  clear()

  faults.findSecrets = async () => { throw new Error('unexpected') }
  await call(t, 'importSecrets', { method: 'POST', url: '/v1/secrets/import?format=dotenv', headers: AUTH, payload: 'N=1' },
    { status: 500, code: 'internal_error', target })
  faults.listSecrets = async () => { throw new Error('unexpected') }
  await call(t, 'listSecrets', { method: 'GET', url: '/v1/secrets', headers: AUTH }, { status: 500, code: 'internal_error', target })
  await call(t, 'exportSecrets', { method: 'GET', url: '/v1/secrets/export?format=yaml', headers: AUTH }, { status: 500, code: 'internal_error', target })
  faults.listTeams = async () => { throw sqliteError('SQLITE_BUSY') }
  await call(t, 'listTeams', { method: 'GET', url: '/v1/teams', headers: AUTH }, { status: 503, code: 'storage_busy', target })
  clear()

  // keys and teams: a write that fails leaves things as they were
  const doomedKey = await createKey(t, { name: 'doomed', scopes: ['secrets:list'] }, AUTH, target)
  const doomedTeam = await call(t, 'createTeam', { method: 'POST', url: '/v1/teams', headers: AUTH, payload: { name: 'doomed' } }, { status: 200, target })
  const revokeDoomed: InjectOptions = { method: 'DELETE', url: `/v1/api_keys/${doomedKey.id}`, headers: AUTH }
  const deleteDoomed: InjectOptions = { method: 'DELETE', url: `/v1/teams/${String(doomedTeam.id)}`, headers: AUTH }
  faults.insertApiKey = async () => { throw sqliteError('SQLITE_FULL') }
  await call(t, 'createApiKey', { method: 'POST', url: '/v1/api_keys', headers: AUTH, payload: { name: 'n', scopes: ['secrets:list'] } },
    { status: 507, code: 'storage_full', target })
  faults.revokeApiKey = async () => { throw sqliteError('SQLITE_FULL') }
  await call(t, 'revokeApiKey', revokeDoomed, { status: 507, code: 'storage_full', target })
  faults.createTeam = async () => { throw sqliteError('SQLITE_FULL') }
  await call(t, 'createTeam', { method: 'POST', url: '/v1/teams', headers: AUTH, payload: { name: 'n' } }, { status: 507, code: 'storage_full', target })
  faults.deleteTeam = async () => { throw sqliteError('SQLITE_FULL') }
  await call(t, 'deleteTeam', deleteDoomed, { status: 507, code: 'storage_full', target })
  clear()
  await call(t, 'listSecrets', { method: 'GET', url: '/v1/secrets', headers: doomedKey.headers }, { status: 200, target })
  await call(t, 'revokeApiKey', revokeDoomed, { status: 200, target })
  await call(t, 'deleteTeam', deleteDoomed, { status: 200, target })

  // an entry edited in the database breaks the chain from there on
  const intact = await call(t, 'verifyAuditLogs', { method: 'GET', url: '/v1/audit_logs/verify', headers: AUTH }, { status: 200, target })
  t.equal(intact.valid, true, 'the chain holds')
  t.notOk('first_invalid_id' in intact, 'no first_invalid_id while it holds')
  faults.auditRows = async (afterId, limit) => (await faultyTrove.store.auditRows(afterId, limit))
    .map(row => row.id === 2 ? { ...row, detail: 'edited' } : row)
  const broken = await call(t, 'verifyAuditLogs', { method: 'GET', url: '/v1/audit_logs/verify', headers: AUTH }, { status: 200, target })
  t.match(broken, { valid: false, entries: 2, first_invalid_id: 2, head: { id: 1 } }, 'the edited entry is named')
  faults.auditRows = async (afterId, limit) => (await faultyTrove.store.auditRows(afterId, limit))
    .map(row => row.id === 1 ? { ...row, outcome: 'denied' as const } : row)
  const brokenFirst = await call(t, 'verifyAuditLogs', { method: 'GET', url: '/v1/audit_logs/verify', headers: AUTH }, { status: 200, target })
  t.match(brokenFirst, { valid: false, entries: 1, first_invalid_id: 1, head: null }, 'no head when the first entry fails')
})

t.test('every /v1 operation answers the HTTP layer\'s errors it declares', async t => {
  const teamId = await defaultTeamId(t)
  const long = 'x'.repeat(1100)
  for (const op of v1Operations) {
    const { operationId } = op.spec
    const method = op.method as 'GET'
    const urlWith = (values: Record<string, string>): string => urlOf(op, values)
    const url = urlWith({ team_id: teamId, secret_name: 'n' })
    const declares = (status: number): boolean => op.spec.responses[String(status)] !== undefined
    if (declares(414)) {
      for (const [, param] of op.path.matchAll(/\{([^}]+)\}/g)) {
        await call(t, operationId, { method, url: urlWith({ team_id: teamId, secret_name: 'n', [param ?? '']: long }), headers: AUTH },
          { status: 414, code: 'uri_too_long' })
      }
    }
    // the operations that read a JSON body refuse one that is not JSON, and broken JSON
    if (declares(415)) {
      await call(t, operationId, { method, url, headers: AUTH, payload: 'name=n' }, { status: 415, code: 'unsupported_media_type' })
      await call(t, operationId, { method, url, headers: { ...AUTH, 'content-type': 'application/json' }, payload: '{' },
        { status: 400, code: 'invalid_json' })
    }
    // the import operations read any body as text instead
    if (operationId.startsWith('import')) {
      t.notOk(declares(415), `${operationId} declares no 415`)
      await call(t, operationId, {
        method, url: `${url}?format=dotenv&dry_run=true`, headers: { ...AUTH, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'name=n'
      }, { status: 200 })
    }
    if (declares(413)) {
      await call(t, operationId, { method, url, headers: AUTH, payload: JSON.stringify({ pad: 'a'.repeat(1024 * 1024) }) },
        { status: 413, code: 'body_too_large' })
    }
  }
})

t.test('every /v1 operation answers a storage failure as declared', async t => {
  const target = faultyApp
  const teams = await call(t, 'listTeams', { method: 'GET', url: '/v1/teams', headers: AUTH }, { status: 200, target })
  const teamId = (teams.teams as { id: string }[])[0]?.id ?? 'none'
  t.teardown(() => {
    for (const key of Object.keys(faults)) delete faults[key as keyof Store]
  })
  // what each operation needs to get as far as the store; team twins need the same
  const needs: Record<string, { query?: string, payload?: unknown }> = {
    upsertSecret: { payload: { name: 'n', value: 'v' } },
    rollbackSecret: { payload: { version: 1 } },
    resolveSecrets: { payload: { names: ['n'] } },
    importSecrets: { query: '?format=dotenv', payload: 'N=1' },
    exportSecrets: { query: '?format=dotenv' },
    createApiKey: { payload: { name: 'n', scopes: ['secrets:list'], teams: [teamId] } },
    createTeam: { payload: { name: 'n' } },
    rekey: { payload: { new_master_key_file: writeMasterKeyFile(t.testdir(), 'new.key') } }
  }
  const failures = [
    { fault: () => sqliteError('SQLITE_BUSY'), status: 503, code: 'storage_busy' },
    { fault: () => new Error('unexpected'), status: 500, code: 'internal_error' }
  ]
  for (const failure of failures) {
    // every store call fails but the key look-up (and the grouped writes of audit records and
    // last-used times, which no answer waits for): each operation meets the failure at its first
    // read or write, whatever it is (the default team, for one, is looked up once and kept)
    const spared = new Set(['findApiKeyByHash', 'touchApiKeys', 'appendAudit', 'setAuditHasher'])
    for (const method of Object.keys(faultyTrove.store) as (keyof Store)[]) {
      if (!spared.has(method)) (faults as Record<string, unknown>)[method] = async () => { throw failure.fault() }
    }
    for (const op of v1Operations) {
      // the rotation's status is in memory: its storage failure is the key lookup's, below
      if (op.spec.operationId === 'getRotation') continue
      const need = needs[op.spec.operationId] ?? needs[op.spec.operationId.replace('Team', '')] ?? {}
      const url = urlOf(op, { team_id: teamId, secret_name: 'n' }) + (need.query ?? '')
      await call(t, op.spec.operationId, { method: op.method as 'GET', url, headers: AUTH, payload: need.payload as string | undefined },
        { status: failure.status, code: failure.code, target })
    }
  }
  // every /v1 operation looks its API key up in the database first
  for (const failure of failures) {
    for (const key of Object.keys(faults)) delete faults[key as keyof Store]
    faults.findApiKeyByHash = async () => { throw failure.fault() }
    for (const op of v1Operations) {
      const url = urlOf(op, { team_id: teamId, secret_name: 'n' })
      await call(t, op.spec.operationId, { method: op.method as 'GET', url, headers: AUTH, payload: op.method === 'GET' ? undefined : 'not json' },
        { status: failure.status, code: failure.code, target })
    }
  }
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
