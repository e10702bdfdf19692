import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import helmet from '@fastify/helmet'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'

/**
 * Where `npm run build` writes the web console: dist/console, next to the compiled dist/http/
 * this file becomes. Run from the TypeScript sources (src/http/) there is no built console
 * beside it, so none is served.
 */
export const CONSOLE_DIR = fileURLToPath(new URL('../console/', import.meta.url))

export interface WebConsoleOptions {
  /** the built console's folder; CONSOLE_DIR unless a test says otherwise */
  root?: string
}

/**
 * The strict policy of every console page: the page's own files and its own API, nothing
 * inline, no frames, no plugins, forms only to itself.
 */
export const CONSOLE_CSP = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"]
}

/**
 * Serves the built web console at `/` (index.html) and `/assets/…`. Each file is its own route
 * (no wildcard), so any other path still gets the API's JSON 404. Helmet's headers and the
 * Content-Security-Policy are added to these routes only: the plugin is encapsulated, so API
 * answers are unchanged. Without a built console (dist/console/index.html) it registers nothing.
 */
export default async function webConsole (app: FastifyInstance, options: WebConsoleOptions = {}): Promise<void> {
  const root = options.root ?? CONSOLE_DIR
  if (!existsSync(join(root, 'index.html'))) return

  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CONSOLE_CSP },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' }
  })
  await app.register(fastifyStatic, {
    root,
    wildcard: false,
    index: ['index.html'],
    dotfiles: 'ignore',
    etag: true,
    lastModified: false
  })
  // app.ts marks every answer no-store; the hashed, content-addressed assets may be kept for good
  app.addHook('onSend', async (request, reply) => {
    if (request.url.startsWith('/assets/') && reply.statusCode === 200) {
      reply.header('cache-control', 'public, max-age=31536000, immutable')
    }
  })
}
