import type { FastifyInstance } from 'fastify'
import { errorBody } from '../errors.js'
import type { Store } from '../store/store.js'

const statusSchema = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string' } }
} as const

/** Probes for supervisors and load balancers: no key needed, and nothing revealed but "ok". */
export default async function healthRoutes (app: FastifyInstance, options: { store: Store }): Promise<void> {
  app.get('/healthz', { schema: { response: { 200: statusSchema } }, config: { operationId: 'health' } }, async () => ({ status: 'ok' }))

  app.get('/readyz', { config: { operationId: 'ready' } }, async (request, reply) => {
    try {
      await options.store.ping()
      return { status: 'ok' }
    } catch (err) {
      request.log.warn({ err: { code: (err as { code?: string }).code } }, 'readiness check failed')
      return reply.code(503).send(errorBody(503, 'not_ready', 'the database does not answer'))
    }
  })
}
