// Build step after tsc and the console (npm run build): bundles dist/run-server.js and everything
// it imports into dist/server-bundle.cjs, which dist/server.js (npm start, the Docker CMD) loads;
// then starts that bundle once in memory, answers one GET /v1/secrets and stores V8's code cache
// of what ran in dist/server-bundle.<tag>.v8cache. Issue 9: the cold start is one cached file
// instead of a few hundred modules to resolve, read and compile.
//
// V8 takes a cache only from a process with the same V8 flags: the warm-up runs with none, as
// `npm start`, the Docker CMD, the tests and the benchmark start the server. A start with flags
// finds no cache under its tag and compiles the bundle as it would without one.
//
// Kept out of the bundle: better-sqlite3 (native addon) and pg (optional). Modules imported on
// first use (PostgreSQL store, YAML codecs, prom-client, the console's file server) stay in the
// one file but run only when first used, as before.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const DIST = fileURLToPath(new URL('../dist/', import.meta.url))
const BUNDLE = join(DIST, 'server-bundle.cjs')
const STAMP = join(DIST, 'server-bundle.stamp')
const WARM_UP_KEY = 'warm-up-key-0123456789abcdef'
const WARM_UP_TIMEOUT_MS = 60_000

/**
 * Each module's import.meta.url stays its own dist/ path (dist/http/console.js finds
 * dist/console, dist/store/migration-files.js finds migrations/), not the bundle's: the bundle
 * sits in dist/ itself, so the module's path relative to dist/ leads there.
 */
function moduleUrls (MagicString) {
  return {
    name: 'trove-module-urls',
    transform (code, id) {
      if (!id.startsWith(DIST) || !code.includes('import.meta.url')) return null
      const path = `./${relative(DIST, id).split(sep).join('/')}`
      const s = new MagicString(code)
      s.replaceAll('import.meta.url', `new URL(${JSON.stringify(path)}, import.meta.url).href`)
      return { code: s.toString(), map: s.generateMap({ hires: true, source: id }).toString() }
    }
  }
}

/**
 * Each of `names` is resolved to a module of its own whose code is `wrap(quotedName)`; the
 * `require` in that code reaches the real module, kept out of the bundle.
 */
function wrappedRequires (kind, names, wrap) {
  const prefix = `\0${kind}:`
  return {
    name: `trove-${kind}`,
    resolveId (id, importer) {
      if (!names.includes(id)) return null
      return importer === prefix + id ? { id, external: true } : prefix + id
    },
    load (id) {
      return id.startsWith(prefix) ? wrap(JSON.stringify(id.slice(prefix.length))) : null
    }
  }
}

/**
 * A package kept out of the bundle is required where its importer runs, not at the top of the
 * bundle as the CommonJS output hoists externals: pg loads only with TROVE_DATABASE_URL.
 */
const lazyExternals = names => wrappedRequires('lazy-external', names, name => `module.exports = require(${name})`)

/**
 * Built-ins that fastify requires when it loads but a plain HTTP start never uses: https and tls
 * (which run-server.ts also checks the TLS files with) only with TROVE_TLS_*, http2 never. Each
 * becomes an object that requires the module on first use: requiring them took ~6 ms of a cold
 * start on a 2-core machine.
 */
const lazyBuiltins = names => wrappedRequires('lazy-builtin', names, name => `let loaded
const load = () => (loaded ??= require(${name}))
module.exports = new Proxy({}, {
  get: (_, key) => load()[key],
  has: (_, key) => key in load(),
  ownKeys: () => Reflect.ownKeys(load()),
  getOwnPropertyDescriptor: (_, key) => {
    const descriptor = Reflect.getOwnPropertyDescriptor(load(), key)
    return descriptor === undefined ? undefined : { ...descriptor, configurable: true }
  }
})`)

/** Non-ASCII left by the bundler (licence comments) as \u escapes, so the file stays ASCII. */
function toAscii (file) {
  const text = readFileSync(file, 'utf8')
  // eslint-disable-next-line no-control-regex -- the complement of ASCII, on UTF-16 code units
  const ascii = text.replace(/[^\x00-\x7f]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  if (ascii !== text) writeFileSync(file, ascii)
}

async function bundle () {
  const { build, RolldownMagicString } = await import('rolldown')
  for (const file of readdirSync(DIST)) {
    if (file.startsWith('server-bundle')) rmSync(join(DIST, file))
  }
  await build({
    input: { 'server-bundle': join(DIST, 'run-server.js') },
    platform: 'node',
    external: ['better-sqlite3'],
    plugins: [moduleUrls(RolldownMagicString), lazyExternals(['pg']), lazyBuiltins(['node:https', 'https', 'node:http2', 'http2', 'node:tls', 'tls'])],
    logLevel: 'warn',
    output: {
      dir: DIST,
      format: 'cjs',
      entryFileNames: '[name].cjs',
      // one file: what is imported on first use is initialised then, not loaded from another file
      codeSplitting: false,
      charset: 'ascii',
      sourcemap: true
    }
  })
  toAscii(BUNDLE)
  // the compiled modules this bundle was made from: dist/server.js loads the modules instead when
  // tsc has compiled others since (server.ts)
  writeFileSync(STAMP, createHash('sha256').update(readFileSync(join(DIST, '.tsbuildinfo'))).digest('hex'))
}

/** Runs in a child: a clean V8, with the flags of a plain `node dist/server.js` (none). */
async function warmUp () {
  const { codeCacheFile, loadBundle } = await import(pathToFileURL(join(DIST, 'code-cache.js')).href)
  const { exports, script } = loadBundle(BUNDLE)
  const { app, trove, url } = await exports.startServer(process.env)
  const answer = await fetch(`${url}/v1/secrets`, { headers: { authorization: `Bearer ${WARM_UP_KEY}` } })
  if (answer.status !== 200) throw new Error(`warm-up: GET /v1/secrets answered ${answer.status}`)
  await answer.arrayBuffer()
  const cache = codeCacheFile(BUNDLE)
  writeFileSync(cache, script.createCachedData())
  // the server set a private umask; the cache is read by whoever runs dist/server.js
  chmodSync(cache, 0o644)
  await app.close()
  await trove.close()
}

function runWarmUp () {
  const dataDir = mkdtempSync(join(tmpdir(), 'trove-warm-up-'))
  // nothing of the developer's TROVE_* settings (a database URL, a key file) reaches it
  const env = {
    PATH: process.env.PATH,
    TROVE_DB: ':memory:',
    TROVE_DATA_DIR: dataDir,
    TROVE_HOST: '127.0.0.1',
    TROVE_PORT: '0',
    TROVE_BOOTSTRAP_KEY: WARM_UP_KEY,
    TROVE_LOG_LEVEL: 'info'
  }
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--warm-up'], { env, stdio: ['ignore', 'ignore', 'inherit'] })
  const timer = setTimeout(() => child.kill('SIGKILL'), WARM_UP_TIMEOUT_MS)
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      rmSync(dataDir, { recursive: true, force: true })
      if (code === 0) resolve()
      else reject(new Error(`the warm-up start failed (${signal ?? `exit code ${code}`})`))
    })
  })
}

if (process.argv.includes('--warm-up')) {
  await warmUp()
} else {
  await bundle()
  await runWarmUp()
}
