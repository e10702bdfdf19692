/**
 * The process entry: `npm start` and the Docker CMD run dist/server.js. The build
 * (scripts/build-server-bundle.mjs) bundles run-server.ts and all it imports, bar the native
 * SQLite driver and the optional pg driver, into server-bundle.cjs beside this file, with a V8
 * code cache from a warm-up start: one cached file starts several times faster than the few
 * hundred modules it replaces (bench/README.md, cold start). Without a bundle, as when the
 * sources run through tsx, the modules load one by one.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { codeCacheFile, loadBundle } from './code-cache.js'

type RunServerModule = typeof import('./run-server.js')

const file = (name: string): string => fileURLToPath(new URL(name, import.meta.url))

export const BUNDLE_FILE = file('./server-bundle.cjs')
/** the hash of tsc's build info when the bundle was made */
const STAMP_FILE = file('./server-bundle.stamp')
const TSC_BUILD_INFO = file('./.tsbuildinfo')

/**
 * Whether the bundle was made from the modules tsc compiled last: after a bare `tsc` it would
 * run yesterday's code, so the modules run instead until `npm run build` makes it again.
 */
function bundleIsCurrent (): boolean {
  if (!existsSync(BUNDLE_FILE)) return false
  try {
    const built = readFileSync(STAMP_FILE, 'utf8')
    if (createHash('sha256').update(readFileSync(TSC_BUILD_INFO)).digest('hex') === built) return true
  } catch {}
  process.stderr.write('trove: dist/server-bundle.cjs is older than the compiled modules; loading those instead (npm run build makes it again)\n')
  return false
}

async function loadServer (): Promise<RunServerModule> {
  if (bundleIsCurrent()) return loadBundle(BUNDLE_FILE, codeCacheFile(BUNDLE_FILE)).exports as unknown as RunServerModule
  return await import('./run-server.js')
}

/** Starts the service (see run-server.ts); `trove serve` calls this with its flags merged in. */
export function runServer (env: Record<string, string | undefined> = process.env): void {
  loadServer().then(server => server.runServer(env), (err: unknown) => {
    process.stderr.write(`trove: failed to start: ${(err as Error).name}: ${(err as Error).message}\n`)
    process.exit(1)
  })
}

// run when this file is the entry point (node dist/server.js), not when imported by the CLI
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) runServer()
