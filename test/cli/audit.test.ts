import { join } from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import { CLI_KEY, runCli, startCliSession } from '../fixtures/cli.js'
import { startTrove } from '../fixtures/process.js'

t.test('audit list with filters, and audit verify', async t => {
  const { trove } = await startCliSession(t)
  await trove(['secret', 'set', 'audited', '--value', 'canary-audit-cli'])
  await trove(['secret', 'get', 'audited'])
  await trove(['secret', 'set', 'other', '--value', 'x'])

  let r = await trove(['audit', 'list'])
  t.equal(r.code, 0)
  t.match(r.stdout, /^ID\s+TIME\s+EVENT\s+OUTCOME\s+KEY\s+TEAM\s+SECRET\s+DETAIL\n/)
  t.match(r.stdout, /SECRET_UPDATED\s+success\s+\S+\s+default\s+audited\s+created, version 1/)
  t.notOk(r.stdout.includes('canary-audit-cli'), 'no value in the log')

  // reads are written in groups a moment later: wait for the read to show
  let reads: { event_type: string, secret_name: string }[] = []
  for (let i = 0; i < 20 && reads.length === 0; i++) {
    r = await trove(['audit', 'list', '--event-type', 'SECRET_READ', '--json'])
    reads = JSON.parse(r.stdout).audit_logs
    if (reads.length === 0) await new Promise(resolve => setTimeout(resolve, 100))
  }
  t.match(reads, [{ event_type: 'SECRET_READ', secret_name: 'audited' }])
  const bySecret = JSON.parse((await trove(['audit', 'list', '--secret', 'other', '--json'])).stdout).audit_logs
  t.ok(bySecret.length > 0 && bySecret.every((e: { secret_name: string }) => e.secret_name === 'other'))
  t.same(JSON.parse((await trove(['audit', 'list', '--since', '2999-01-01T00:00:00Z', '--json'])).stdout).audit_logs, [])
  t.equal((await trove(['audit', 'list', '--since', '2999-01-01T00:00:00Z'])).stdout, 'No audit entries found.\n')

  r = await trove(['audit', 'list', '--limit', '1'])
  t.equal(r.stdout.trimEnd().split('\n').length, 2, 'one entry under the headings')
  const cursor = /^More entries: add --cursor (\S+)\n$/.exec(r.stderr)?.[1]
  t.ok(cursor, 'the next page is offered on stderr')
  const next = JSON.parse((await trove(['audit', 'list', '--limit', '1', '--cursor', cursor!, '--json'])).stdout)
  t.equal(next.audit_logs.length, 1)
  const keyId = next.audit_logs[0].key_id
  const byKey = JSON.parse((await trove(['audit', 'list', '--key-id', keyId, '--json'])).stdout).audit_logs
  t.ok(byKey.every((e: { key_id: string }) => e.key_id === keyId))

  r = await trove(['audit', 'verify'])
  t.equal(r.code, 0)
  t.match(r.stdout, /^The audit log verifies: \d+ entries, head \d+ [0-9a-f]+\n$/)
  t.match(JSON.parse((await trove(['audit', 'verify', '--json'])).stdout), { valid: true, entries: Number, head: { id: Number, hash: String } })

  r = await trove(['audit', 'list', '--limit', '0'])
  t.equal(r.code, 2, 'a bad --limit is a usage error')
})

t.test('audit verify exits 1 when an entry was edited in the database', async t => {
  const dir = t.testdir()
  const dbPath = join(dir, 'trove.db')
  const settings = { TROVE_DB: dbPath, TROVE_DATA_DIR: dir, TROVE_BOOTSTRAP_KEY: CLI_KEY, TROVE_RATE_LIMIT: '100000' }
  const first = await startTrove(settings, { cwd: dir })
  let env = { TROVE_URL: first.url, TROVE_API_KEY: CLI_KEY }
  await runCli(['secret', 'set', 'a', '--value', '1'], { env })
  await runCli(['secret', 'set', 'b', '--value', '2'], { env })
  t.equal((await runCli(['audit', 'verify'], { env })).code, 0)
  await first.stop()

  // edited while Trove is stopped: it holds its SQLite file while it runs
  const raw = new Database(dbPath)
  raw.prepare("UPDATE audit_log SET secret_name = 'forged' WHERE secret_name = 'a'").run()
  raw.close()
  const server = await startTrove(settings, { cwd: dir })
  t.teardown(() => server.stop())
  env = { TROVE_URL: server.url, TROVE_API_KEY: CLI_KEY }
  const r = await runCli(['audit', 'verify'], { env })
  t.equal(r.code, 1)
  t.equal(r.stdout, '')
  t.match(r.stderr, /^trove: the audit log does not verify: entry \d+ is the first that fails its check \(\d+ entries\)\n$/)
  const json = await runCli(['audit', 'verify', '--json'], { env })
  t.equal(json.code, 1, 'exit 1 with --json too')
  t.match(JSON.parse(json.stdout), { valid: false, first_invalid_id: Number })
})
