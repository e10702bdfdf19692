import { rmSync } from 'node:fs'
import { join, sep } from 'node:path'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import webConsole, { CONSOLE_DIR } from '../../src/http/console.js'

// The plugin that serves the built console, on a folder made here (the browser tests use the
// real build through the server process).

function builtConsole (t: Test): string {
  return t.testdir({
    'index.html': '<!doctype html><title>Trove</title><script type="module" src="/assets/index-abc123.js"></script>',
    assets: { 'index-abc123.js': 'console.log(1)', 'index-abc123.css': 'body{}' }
  })
}

t.test('serves index.html at / and the assets, with helmet\'s headers and the policy', async t => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(webConsole, { root: builtConsole(t) })
  app.get('/v1/thing', async () => ({ ok: true }))

  const page = await app.inject({ method: 'GET', url: '/' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  t.match(page.body, /<title>Trove<\/title>/)
  const csp = String(page.headers['content-security-policy'])
  t.equal(csp, "default-src 'self';script-src 'self';style-src 'self';img-src 'self' data:;connect-src 'self';object-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'self'")
  t.equal(page.headers['x-frame-options'], 'DENY')
  t.equal(page.headers['x-content-type-options'], 'nosniff')
  t.equal(page.headers['referrer-policy'], 'no-referrer')
  t.equal(page.headers['cross-origin-opener-policy'], 'same-origin')

  const js = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' })
  t.equal(js.statusCode, 200)
  t.match(js.headers['content-type'], /javascript/)
  t.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable')
  t.ok(js.headers['content-security-policy'])
  const css = await app.inject({ method: 'GET', url: '/assets/index-abc123.css' })
  t.match(css.headers['content-type'], /^text\/css/)

  t.equal((await app.inject({ method: 'GET', url: '/assets/other.js' })).statusCode, 404, 'only the files that exist')
  t.equal((await app.inject({ method: 'GET', url: '/somewhere' })).statusCode, 404, 'no catch-all route')
  t.equal((await app.inject({ method: 'POST', url: '/' })).statusCode, 404)

  const api = await app.inject({ method: 'GET', url: '/v1/thing' })
  t.equal(api.headers['content-security-policy'], undefined, 'routes outside the console are untouched')
})

t.test('HEAD, conditional requests and a file removed since start-up', async t => {
  const root = builtConsole(t)
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(webConsole, { root })

  const head = await app.inject({ method: 'HEAD', url: '/assets/index-abc123.js' })
  t.equal(head.statusCode, 200)
  t.equal(head.headers['content-length'], String('console.log(1)'.length), 'the length of the file, without its body')
  t.equal(head.body, '')

  const page = await app.inject({ method: 'GET', url: '/' })
  const again = await app.inject({ method: 'GET', url: '/', headers: { 'if-none-match': String(page.headers.etag) } })
  t.equal(again.statusCode, 304)
  t.equal(again.body, '')
  t.equal(again.headers['content-type'], undefined, 'no type for no body')
  t.equal(again.headers['x-frame-options'], 'DENY', 'helmet\'s headers on a 304 too')

  rmSync(join(root, 'assets', 'index-abc123.css'))
  const gone = await app.inject({ method: 'GET', url: '/assets/index-abc123.css' })
  t.equal(gone.statusCode, 404, 'the route stays but the file server finds nothing')
  t.equal(gone.headers['content-security-policy'], undefined, 'the 404 of any unknown path')
})

t.test('without a built console it registers nothing', async t => {
  const app = Fastify()
  t.teardown(() => app.close())
  const root = t.testdir({ assets: { 'x.js': '' } })
  await app.register(webConsole, { root })
  await app.ready()
  t.equal((await app.inject({ method: 'GET', url: '/' })).statusCode, 404)
  t.equal((await app.inject({ method: 'GET', url: '/assets/x.js' })).statusCode, 404)
  t.equal(app.hasRoute({ method: 'GET', url: '/' }), false)
})

t.test('the console is looked for next to the compiled code', async t => {
  // dist/http/console.js serves dist/console; run from the sources there is no src/console, so
  // an app built from src (as the unit and contract tests build it) serves no console
  t.ok(CONSOLE_DIR.endsWith(`${sep}src${sep}console${sep}`), CONSOLE_DIR)
})
