import { execFileSync, spawn } from 'node:child_process'
import t from 'tap'
import { CLI_ENTRY, startCliSession } from '../fixtures/cli.js'

t.test('secret set and get: stdin with one trailing newline stripped, --value, byte for byte', async t => {
  const { trove } = await startCliSession(t)
  const multi = 'line one\n  line two with "quotes" and $dollar\n\tlast line\n'

  // stdin: exactly one trailing newline goes, the rest (including a second one) stays
  let r = await trove(['secret', 'set', 'multi'], { input: `${multi}\n` })
  t.same(r, { code: 0, signal: null, stdout: 'Set secret multi\n', stderr: '' })
  r = await trove(['secret', 'get', 'multi'])
  t.equal(r.code, 0)
  t.equal(r.stdout, multi, 'the value comes back exactly, with no newline added into a pipe')

  await trove(['secret', 'set', 'crlf'], { input: 'windows\r\n' })
  t.equal((await trove(['secret', 'get', 'crlf'])).stdout, 'windows', '\\r\\n counts as one newline')
  await trove(['secret', 'set', 'bare'], { input: 'no newline' })
  t.equal((await trove(['secret', 'get', 'bare'])).stdout, 'no newline')

  r = await trove(['secret', 'set', 'flag', '--value', 'from-flag'])
  t.equal(r.stdout, 'Set secret flag\n')
  t.equal((await trove(['secret', 'get', 'flag'])).stdout, 'from-flag')
  r = await trove(['secret', 'set', 'empty', '--value', ''])
  t.equal(r.code, 0, '--value "" is allowed')
  t.equal((await trove(['secret', 'get', 'empty'])).stdout, '')

  r = await trove(['secret', 'get', 'multi', '--json'])
  t.same(JSON.parse(r.stdout), { name: 'multi', value: multi, version: 1 })
  r = await trove(['secret', 'set', 'flag', '--value', 'v2', '--json'])
  t.match(JSON.parse(r.stdout), { name: 'flag', team_name: 'default', version: 2 })
  t.equal((await trove(['secret', 'get', 'flag', '--version', '1'])).stdout, 'from-flag', '--version reads an older value')

  r = await trove(['secret', 'get', 'nope'])
  t.equal(r.code, 1)
  t.equal(r.stdout, '')
  t.equal(r.stderr, 'trove: 404 secret_not_found: secret "nope" not found\n')
})

/** util-linux `script` gives the CLI a pseudo-terminal */
function hasScript (): boolean {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

t.test('on a terminal, secret set prompts without echoing the value', { skip: hasScript() ? false : 'util-linux `script` is not installed' }, async t => {
  const { trove, env } = await startCliSession(t)
  // script runs the CLI on a pseudo-terminal and types what it reads on its own stdin
  const command = `${process.execPath} ${CLI_ENTRY} secret set typed`
  const typed = 'typed-secret-canary'
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env.PATH ?? '', ...env } })
    let text = ''
    child.stdout.on('data', chunk => {
      text += String(chunk)
      // answer once the prompt is up, as a person would
      if (text.includes('(input is hidden)') && !child.stdin.writableEnded) child.stdin.end(`${typed}\r`)
    })
    child.on('error', reject)
    child.on('close', () => resolve(text))
  })
  t.match(output, /Value for typed \(input is hidden\):/)
  t.match(output, /Set secret typed/)
  t.notOk(output.includes(typed), 'the value is not echoed')
  t.equal((await trove(['secret', 'get', 'typed'])).stdout, typed)
})
