import type { FastifyInstance } from 'fastify'
import { buildApp } from './app.js'
import { openTrove } from './trove.js'

export interface CreateServerOptions {
  /** the admin API key to accept (at least 16 characters); a new Trove key when omitted */
  apiKey?: string
  host?: string
  /** 0, the default, takes any free port */
  port?: number
  /** Fastify logger options; off by default */
  logger?: boolean | object
}

export interface RunningServer {
  url: string
  apiKey: string
  app: FastifyInstance
  close (): Promise<void>
}

/**
 * An in-memory Trove on a free port, for test rigs that need a stand-in for the Baseten secrets
 * API: nothing touches the disk, and `close()` throws everything away.
 */
export async function createServer (options: CreateServerOptions = {}): Promise<RunningServer> {
  if (options.apiKey !== undefined && options.apiKey.length < 16) throw new TypeError('apiKey must be at least 16 characters')
  const trove = await openTrove({ dataDir: '.', dbPath: ':memory:', bootstrapKey: options.apiKey }, { warn () {} })
  const apiKey = options.apiKey ?? trove.generatedAdminKey
  /* c8 ignore next - openTrove always makes a key when none is given */
  if (apiKey === undefined) throw new Error('no admin key was created')
  const app = await buildApp({ trove, logger: options.logger ?? false })
  const host = options.host ?? '127.0.0.1'
  try {
    await app.listen({ host, port: options.port ?? 0 })
  } catch (err) {
    await trove.close()
    throw err
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : options.port
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    apiKey,
    app,
    async close () {
      await app.close()
      await trove.close()
    }
  }
}
