import dc from 'node:diagnostics_channel'
import SerializerSelector from '@fastify/fast-json-stringify-compiler'
import Fastify, { type FastifyInstance } from 'fastify'
import t from 'tap'
import { lazySerializers } from '../../src/http/lazy-serializers.js'
import { buildTestApp } from '../fixtures/app.js'

// Response serializers compile when a route first answers with a status, not at start-up.

t.test('a serializer compiles on its first use and then writes as fast-json-stringify does', async t => {
  let reads = 0
  const schema = {
    type: 'object',
    get properties () {
      reads++
      return { name: { type: 'string' }, version: { type: 'integer' } }
    }
  }
  const serialize = lazySerializers({}, {})({ schema, method: 'GET', url: '/x', httpStatus: '200' })
  t.equal(reads, 0, 'nothing compiled before the first answer')
  const data = { name: 'n', version: '2', value: 'never sent' }
  const expected = SerializerSelector()({}, {})({ schema: { type: 'object', properties: { name: { type: 'string' }, version: { type: 'integer' } } }, method: 'GET', url: '/x', httpStatus: '200' })(data)
  t.equal(serialize(data), expected)
  t.equal(serialize(data), '{"name":"n","version":2}', 'fields the schema does not name are left out')
  const compiled = reads
  serialize(data)
  t.equal(reads, compiled, 'compiled once')
})

t.test('an app answers as before: schema fields only, the error body on 4xx', async t => {
  const app = Fastify({ schemaController: { compilersFactory: { buildSerializer: lazySerializers } } })
  t.teardown(() => app.close())
  app.get('/thing', { schema: { response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } } } } }, async () => ({ ok: true, secret: 'x' }))
  t.same((await app.inject({ method: 'GET', url: '/thing' })).json(), { ok: true })
})

t.test('every response schema of the app compiles', async t => {
  // start-up no longer compiles them, so a broken one would show only when its route answers;
  // the routes are seen through an onRoute hook added on the 'fastify.initialization' channel
  const schemas: { url: string, status: string, schema: unknown }[] = []
  const onInit = (message: unknown): void => {
    (message as { fastify: FastifyInstance }).fastify.addHook('onRoute', route => {
      const response = (route.schema as { response?: Record<string, unknown> } | undefined)?.response ?? {}
      for (const [status, schema] of Object.entries(response)) schemas.push({ url: route.url, status, schema })
    })
  }
  dc.subscribe('fastify.initialization', onInit)
  try {
    await buildTestApp(t)
  } finally {
    dc.unsubscribe('fastify.initialization', onInit)
  }
  t.ok(schemas.length > 50, `${schemas.length} response schemas`)
  const compile = SerializerSelector()({}, {})
  for (const { url, status, schema } of schemas) {
    t.doesNotThrow(() => compile({ schema, method: 'GET', url, httpStatus: status }), `${url} ${status}`)
  }
})
