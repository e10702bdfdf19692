import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { startCliSession } from '../fixtures/cli.js'

t.test('export to stdout and to a 0600 file, which imports back to the same values', async t => {
  const { trove } = await startCliSession(t)
  const tricky = 'multi\nline with "quotes", #hash, $dollar and = sign'
  await trove(['secret', 'set', 'tricky', '--value', tricky])
  await trove(['secret', 'set', 'plain', '--value', 'p'])

  let r = await trove(['export', '--format', 'dotenv'])
  t.equal(r.code, 0)
  t.match(r.stdout, /^plain="p"\ntricky="multi\\nline/)
  t.same(JSON.parse((await trove(['export', '--format', 'json'])).stdout), { plain: 'p', tricky })

  const dir = t.testdir()
  const out = join(dir, 'backup.yaml')
  r = await trove(['export', '--out', out])
  t.equal(r.stdout, `Exported secrets to ${out} (yaml)\n`, 'format from the extension')
  t.equal(statSync(out).mode & 0o777, 0o600, 'a file of values is readable by its owner only')
  t.match(readFileSync(out, 'utf8'), /tricky:/)
  r = await trove(['export', '--out', join(dir, 'b.env'), '--json'])
  t.match(JSON.parse(r.stdout), { out: join(dir, 'b.env'), format: 'dotenv', bytes: Number })

  // change a value, then import the backup: it comes back
  await trove(['secret', 'set', 'tricky', '--value', 'changed'])
  r = await trove(['import', out])
  t.match(r.stdout, /update\s+tricky/)
  t.equal((await trove(['secret', 'get', 'tricky'])).stdout, tricky)

  r = await trove(['export', '--format', 'xml'])
  t.equal(r.code, 2)
  t.match(r.stderr, /argument 'xml' is invalid\. must be one of dotenv, json, yaml/)
})
