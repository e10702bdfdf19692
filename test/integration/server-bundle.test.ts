import { execFile, spawn } from 'node:child_process'
import { appendFileSync, cpSync, existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'
import { ROOT } from '../fixtures/process.js'

// `npm run build` bundles the server into dist/server-bundle.cjs with a V8 code cache
// (scripts/build-server-bundle.mjs); dist/server.js runs it (src/server.ts).

const run = promisify(execFile)
const DIST = join(ROOT, 'dist')

t.test('the build leaves a bundle and a code cache that a plain node process takes', async t => {
  t.ok(existsSync(join(DIST, 'server-bundle.cjs')), 'dist/server-bundle.cjs')
  const code = `import { codeCacheFile, loadBundle } from ${JSON.stringify(pathToFileURL(join(DIST, 'code-cache.js')).href)}
import { existsSync } from 'node:fs'
const bundle = ${JSON.stringify(join(DIST, 'server-bundle.cjs'))}
const { exports, cacheRejected } = loadBundle(bundle, codeCacheFile(bundle))
// fastify requires https and http2 when it loads; the bundle defers them to first use
const loaded = process.moduleLoadList.filter(m => /^NativeModule (https|http2|tls)$/.test(m))
console.log(JSON.stringify({ cache: existsSync(codeCacheFile(bundle)), cacheRejected, startServer: typeof exports.startServer, runServer: typeof exports.runServer, loaded }))`
  // a bare environment and no flags, as `node dist/server.js` runs
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], { env: { PATH: process.env.PATH } })
  t.same(JSON.parse(stdout), { cache: true, cacheRejected: false, startServer: 'function', runServer: 'function', loaded: [] })
})

t.test('a bundle older than the compiled modules is not run: the modules are, with a warning', async t => {
  // a copy of the build inside the repository, so packages resolve from node_modules as in dist/
  const dir = t.testdir()
  cpSync(DIST, join(dir, 'dist'), { recursive: true })
  cpSync(join(ROOT, 'migrations'), join(dir, 'migrations'), { recursive: true })
  t.ok(readdirSync(join(dir, 'dist')).some(file => file.endsWith('.v8cache')))
  // what a bare `tsc` does after `npm run build`: the build info changes, the bundle does not
  appendFileSync(join(dir, 'dist', '.tsbuildinfo'), ' ')

  const child = spawn(process.execPath, [join(dir, 'dist', 'server.js')], {
    env: { PATH: process.env.PATH, TROVE_DB: ':memory:', TROVE_PORT: '0', TROVE_BOOTSTRAP_KEY: 'bundle-test-key-0123456789' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.teardown(() => { child.kill('SIGKILL') })
  let out = ''
  let err = ''
  child.stderr.on('data', chunk => { err += String(chunk) })
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', chunk => {
      out += String(chunk)
      const match = /"url":"(http:\/\/[^"]+)"/.exec(out)
      if (match?.[1] !== undefined) resolve(match[1])
    })
    child.once('exit', code => reject(new Error(`exited ${code}: ${err}`)))
  })
  t.match(err, /dist\/server-bundle\.cjs is older than the compiled modules; loading those instead/)
  const res = await fetch(`${url}/v1/secrets`, { headers: { authorization: 'Bearer bundle-test-key-0123456789' } })
  t.equal(res.status, 200, 'and it serves')
})
