import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'

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

/** Headers of the file server's answer that belong to its own connection, not to the reply. */
const NOT_FORWARDED = new Set(['connection', 'date', 'keep-alive', 'transfer-encoding'])

/**
 * The paths @fastify/static routes with `wildcard: false`: each file but dot files, and the
 * folder of each index.html.
 */
function consolePaths (root: string): string[] {
  const paths: string[] = []
  for (const entry of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
    const segments = entry.split(sep)
    if (segments.some(segment => segment.startsWith('.')) || !statSync(join(root, entry)).isFile()) continue
    const path = `/${segments.join('/')}`
    paths.push(path)
    if (segments.at(-1) === 'index.html') paths.push(path.slice(0, -'index.html'.length))
  }
  return paths
}

/**
 * The console's file server: helmet's headers and the policy, then @fastify/static, in a Fastify
 * instance of its own that no socket reaches. Both packages load with the first console request.
 */
async function createFileServer (root: string): Promise<FastifyInstance> {
  const [{ default: helmet }, { default: fastifyStatic }] = await Promise.all([import('@fastify/helmet'), import('@fastify/static')])
  const files = Fastify()
  await files.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CONSOLE_CSP },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' }
  })
  await files.register(fastifyStatic, {
    root,
    wildcard: false,
    index: ['index.html'],
    dotfiles: 'ignore',
    etag: true,
    lastModified: false
  })
  await files.ready()
  return files
}

/**
 * Serves the built web console at `/` (index.html) and `/assets/…`. Each file is its own route
 * (no wildcard), so any other path still gets the API's JSON 404. Helmet's headers and the
 * Content-Security-Policy are added to these routes only, so API answers are unchanged. Without
 * a built console (dist/console/index.html) it registers nothing.
 *
 * The routes are set up at start-up from the folder's listing, but helmet and @fastify/static
 * load only when the console is first asked for (issue 9, cold start): a route hands the request
 * to the file server and sends its answer.
 */
export default async function webConsole (app: FastifyInstance, options: WebConsoleOptions = {}): Promise<void> {
  const root = options.root ?? CONSOLE_DIR
  if (!existsSync(join(root, 'index.html'))) return

  let fileServer: Promise<FastifyInstance> | undefined
  const serveFile = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    fileServer ??= createFileServer(root).catch((err: unknown) => {
      fileServer = undefined
      throw err
    })
    const answer = await (await fileServer).inject({ method: request.method as 'GET' | 'HEAD', url: request.url, headers: request.headers })
    // a file gone since start-up gets the API's 404, as any unknown path
    if (answer.statusCode === 404) {
      reply.callNotFound()
      return reply
    }
    if (answer.statusCode >= 500) throw new Error(`the console file server answered ${answer.statusCode}`)
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !NOT_FORWARDED.has(name)) reply.header(name, value)
    }
    // no body (a HEAD, a 304) is sent as none, so nothing adds a type or a length to it
    return reply.code(answer.statusCode).send(answer.rawPayload.length > 0 ? answer.rawPayload : undefined)
  }
  for (const url of consolePaths(root)) app.route({ method: ['GET', 'HEAD'], url, handler: serveFile })

  // app.ts marks every answer no-store; the hashed, content-addressed assets may be kept for good
  app.addHook('onSend', async (request, reply) => {
    if (request.url.startsWith('/assets/') && reply.statusCode === 200) {
      reply.header('cache-control', 'public, max-age=31536000, immutable')
    }
  })
  app.addHook('onClose', async () => {
    if (fileServer !== undefined) await (await fileServer).close()
  })
}
