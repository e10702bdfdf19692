import t from 'tap'
import { CLI_KEY, closedPort, runCli, startCliSession } from '../fixtures/cli.js'

t.test('usage errors exit 2 with the problem on stderr; help exits 0', async t => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown option', ['secret', 'list', '--bogus'], /^trove: unknown option '--bogus'\n/],
    ['an unknown command', ['frobnicate'], /^trove: unknown command 'frobnicate'\n/],
    ['a missing argument', ['secret', 'get'], /^trove: missing required argument 'name'\n/],
    ['a bad number', ['secret', 'get', 'x', '--version', 'two'], /argument 'two' is invalid\. must be a whole number of at least 1/],
    ['a group without its command', ['secret'], /Usage: trove secret/],
    ['a URL that is not one', ['secret', 'list', '--url', 'not a url'], /^trove: TROVE_URL \(or --url\) is not a URL: not a url\n$/],
    ['a date that is not one', ['audit', 'list', '--since', 'yesterday'], /argument 'yesterday' is invalid\. must be an ISO 8601 date or date-time/],
    ['a day the month does not have', ['audit', 'list', '--until', '2026-02-30'], /argument '2026-02-30' is invalid/],
    ['a secret name the server would refuse', ['secret', 'get', 'bad name!'], /value 'bad name!' is invalid for argument 'name'\. a secret name may hold only letters, digits/],
    ['a secret name that is a path step', ['secret', 'set', '..', '--value', 'v'], /value '\.\.' is invalid for argument 'name'\. "\.\." is not a valid secret name/],
    ['an expiry that is not a date', ['key', 'create', '--name', 'x', '--scope', 'secrets:list', '--expires-at', 'next week'], /argument 'next week' is invalid/]
  ]
  for (const [what, args, stderr] of cases) {
    const r = await runCli(args, { env: { TROVE_API_KEY: CLI_KEY } })
    t.equal(r.code, 2, what)
    t.match(r.stderr, stderr, what)
    t.equal(r.stdout, '', `${what}: nothing on stdout`)
  }
  for (const args of [['--help'], ['secret', 'set', '--help'], ['truss', 'materialize', '--help'], ['run', '--help']]) {
    const r = await runCli(args)
    t.equal(r.code, 0, args.join(' '))
    t.match(r.stdout, /^Usage: trove/)
  }
  const version = await runCli(['--version'])
  t.match(version, { code: 0, stdout: /^\d+\.\d+\.\d+\n$/ })
})

t.test('a server that is down: exit 1, one line, no stack trace', async t => {
  const port = await closedPort()
  const url = `http://127.0.0.1:${port}`
  for (const args of [['secret', 'list'], ['secret', 'set', 'x', '--value', 'y'], ['audit', 'verify', '--json']]) {
    const r = await runCli(args, { env: { TROVE_URL: url, TROVE_API_KEY: CLI_KEY } })
    t.equal(r.code, 1, args.join(' '))
    t.equal(r.stderr, `trove: cannot reach Trove at ${url} (connection refused); is it running? set TROVE_URL\n`)
    // the message itself says "Trove at <url>": a stack frame is a line that starts with "at "
    t.notMatch(r.stderr, /^\s*at /m, 'no stack trace')
    t.equal(r.stderr.split('\n').length, 2, 'one line')
    t.equal(r.stdout, '')
  }
})

t.test('keys: a wrong key is the server\'s 401, a missing key says what to set, BASETEN_API_KEY and flags work', async t => {
  const { url, trove } = await startCliSession(t)
  await trove(['secret', 'set', 'k', '--value', 'v'])

  let r = await trove(['secret', 'list'], { env: { TROVE_API_KEY: 'wrong-key-0123456789abcdef' } })
  t.equal(r.code, 1)
  t.equal(r.stderr, 'trove: 401 invalid_api_key: the API key is not valid\n')
  t.notMatch(r.stderr, /^\s*at /m)

  r = await runCli(['secret', 'list'], { env: { TROVE_URL: url } })
  t.equal(r.code, 1)
  t.equal(r.stderr, 'trove: no API key: set TROVE_API_KEY (or BASETEN_API_KEY), or pass --api-key\n')

  r = await runCli(['secret', 'get', 'k'], { env: { TROVE_URL: url, BASETEN_API_KEY: CLI_KEY } })
  t.equal(r.stdout, 'v', 'BASETEN_API_KEY when TROVE_API_KEY is not set')
  r = await runCli(['secret', 'get', 'k'], { env: { TROVE_URL: url, TROVE_API_KEY: CLI_KEY, BASETEN_API_KEY: 'wrong-key-0123456789abcdef' } })
  t.equal(r.stdout, 'v', 'TROVE_API_KEY first')
  r = await runCli(['secret', 'get', 'k', '--url', url, '--api-key', CLI_KEY], { env: { TROVE_URL: 'http://127.0.0.1:9', TROVE_API_KEY: 'wrong-key-0123456789abcdef' } })
  t.equal(r.stdout, 'v', '--url and --api-key override the environment')
  r = await runCli(['--url', url, '--api-key', CLI_KEY, 'secret', 'get', 'k'])
  t.equal(r.stdout, 'v', 'also before the command')
  r = await runCli(['secret', 'get', 'k'], { env: { TROVE_URL: `${url}/`, TROVE_API_KEY: CLI_KEY } })
  t.equal(r.stdout, 'v', 'a trailing slash on TROVE_URL is fine')
  r = await runCli(['secret', 'get', 'k'], { env: { TROVE_URL: url, TROVE_API_KEY: ` ${CLI_KEY}\r\n` } })
  t.equal(r.stdout, 'v', 'spaces and a line end around the key (a key file) are dropped')
})

t.test('a key with a line break inside is refused without being repeated', async t => {
  const { url } = await startCliSession(t)
  const fromFile = `${CLI_KEY}\n# created 2026-11-27\n`
  for (const [what, env, args] of [
    ['TROVE_API_KEY', { TROVE_URL: url, TROVE_API_KEY: fromFile }, ['secret', 'list']],
    ['--api-key', { TROVE_URL: url }, ['secret', 'list', '--api-key', `bad\nkey-${CLI_KEY}`]],
    ['a control character', { TROVE_URL: url, TROVE_API_KEY: `${CLI_KEY}\u0007` }, ['secret', 'list']]
  ] as const) {
    const r = await runCli([...args], { env })
    t.equal(r.code, 2, what)
    t.match(r.stderr, /^trove: the API key \(--api-key, TROVE_API_KEY or BASETEN_API_KEY\) holds a line break/, what)
    t.notOk(r.stderr.includes(CLI_KEY), `${what}: the key is not in the message`)
    t.notMatch(r.stderr, /cannot reach/, `${what}: not taken for a network failure`)
  }
})

t.test('a URL that answers something other than Trove', async t => {
  const { createServer } = await import('node:http')
  const server = createServer((_req, res) => {
    res.writeHead(502, { 'content-type': 'text/html' })
    res.end('<html>Bad Gateway</html>')
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  const address = server.address() as { port: number }
  const r = await runCli(['secret', 'list'], { env: { TROVE_URL: `http://127.0.0.1:${address.port}`, TROVE_API_KEY: CLI_KEY } })
  t.equal(r.code, 1)
  t.equal(r.stderr, 'trove: 502 Bad Gateway: the server did not say why; is TROVE_URL a Trove server?\n')
})
