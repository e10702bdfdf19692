import type { FastifyInstance } from 'fastify'
import type { Keyring } from '../crypto/keyring.js'
import { errorBody, MasterKeyChanged } from '../errors.js'
import type { Store } from '../store/store.js'

const statusSchema = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string' } }
} as const

/** Probes for supervisors and load balancers: no key needed, and nothing revealed but "ok". */
export default async function healthRoutes (app: FastifyInstance, options: { store: Store, keyring: Keyring }): Promise<void> {
  app.get('/healthz', { schema: { response: { 200: statusSchema } }, config: { operationId: 'health' } }, async () => ({ status: 'ok' }))

  app.get('/readyz', { config: { operationId: 'ready' } }, async (request, reply) => {
    try {
      await options.store.ping()
    } catch (err) {
      request.log.warn({ err: { code: (err as { code?: string }).code } }, 'readiness check failed')
      return reply.code(503).send(errorBody(503, 'not_ready', 'the database does not answer'))
    }
    // on a store other processes share (PostgreSQL), one of them may have rekeyed it: this
    // process's master key then no longer opens the keyring, and it must be restarted
    try {
      await options.keyring.refresh()
    } catch (err) {
      request.log.warn({ err: { type: (err as Error).name } }, 'readiness check failed: the keyring')
      const message = err instanceof MasterKeyChanged
        ? 'the keyring was rekeyed under a new master key by another Trove process: restart this process with the new master key'
        : 'the keyring in the database cannot be loaded'
      return reply.code(503).send(errorBody(503, 'not_ready', message))
    }
    return { status: 'ok' }
  })
}
