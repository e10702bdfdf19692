import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { startTrove } from '../fixtures/process.js'

/** Every form a leaked secret could take in a file or a log. */
function forms (secret: string): string[] {
  const bytes = Buffer.from(secret)
  return [secret, bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex'), JSON.stringify(secret).slice(1, -1)]
}

t.test('a canary value and a canary API key appear in no log, database file or WAL', async t => {
  let searched = 0
  let leaks = 0
  const absent = (haystack: string | Buffer, needle: string, where: string): void => {
    searched++
    const found = haystack.includes(needle)
    if (found) leaks++
    t.notOk(found, where)
  }
  const dir = t.testdir()
  const canaryValue = `canary-value-${randomBytes(12).toString('hex')}`
  const canaryKey = `canary-key-${randomBytes(12).toString('hex')}`
  const trove = await startTrove({ TROVE_DATA_DIR: join(dir, 'data'), TROVE_BOOTSTRAP_KEY: canaryKey, TROVE_LOG_LEVEL: 'trace' })
  t.teardown(() => trove.stop('SIGKILL'))
  const headers = { authorization: `Bearer ${canaryKey}` }
  const send = (method: string, path: string, body?: string, contentType?: string) =>
    fetch(`${trove.url}${path}`, { method, body, headers: { ...headers, ...(contentType === undefined ? {} : { 'content-type': contentType }) } })

  // success paths
  t.equal((await send('POST', '/v1/secrets', JSON.stringify({ name: 'canary', value: canaryValue }))).status, 200)
  t.equal((await send('POST', '/v1/secrets', JSON.stringify({ name: 'canary', value: `${canaryValue}\nsecond version` }))).status, 200)
  const read = await send('GET', '/v1/secrets/canary/value')
  t.match(await read.text(), canaryValue, 'the value route does return it')
  const listed = await (await send('GET', '/v1/secrets')).text()
  t.notOk(listed.includes(canaryValue), 'the list never carries it')
  // routes that handle the value but must not answer with it
  const quiet = [
    await send('GET', '/v1/secrets/canary'),
    await send('GET', '/v1/secrets/canary/versions'),
    await send('POST', '/v1/secrets/import?format=json&dry_run=true', JSON.stringify({ canary: canaryValue, fresh: canaryValue })),
    await send('POST', '/v1/secrets/import?format=json', JSON.stringify({ 'bad name': canaryValue, other: canaryValue })),
    await send('POST', '/v1/secrets/canary/rollback', JSON.stringify({ version: 1 })),
    await send('DELETE', '/v1/secrets/canary'),
    await send('GET', '/v1/trash'),
    await send('POST', '/v1/trash/canary/restore')
  ]
  // a key made through the API is a canary too
  const made = await (await send('POST', '/v1/api_keys', JSON.stringify({ name: 'canary-key', scopes: ['secrets:list'] }))).json() as { id: string, key: string }
  t.match(made.key, /^trove_/)
  t.equal((await fetch(`${trove.url}/v1/secrets/canary/value`, { headers: { authorization: `Api-Key ${made.key}` } })).status, 403)
  quiet.push(await send('GET', '/v1/api_keys'), await send('GET', '/v1/audit_logs'), await send('DELETE', `/v1/api_keys/${made.id}`))
  for (const res of quiet) {
    const body = await res.text()
    absent(body, canaryValue, `${res.url.replace(trove.url, '')} does not answer with the value`)
  }
  // error paths that carry the value in their input
  const errorResponses = [
    await send('POST', '/v1/secrets', `{"name": "canary", "value": "${canaryValue}`, 'application/json'),
    await send('POST', '/v1/secrets', `name=canary&value=${canaryValue}`, 'application/x-www-form-urlencoded'),
    await send('POST', '/v1/secrets', JSON.stringify({ name: 'bad name', value: canaryValue })),
    await send('POST', '/v1/secrets', JSON.stringify({ name: 'big', value: canaryValue.repeat(5000) })),
    await send('POST', '/v1/secrets', JSON.stringify({ name: 'x', value: 1, extra: canaryValue })),
    await fetch(`${trove.url}/v1/secrets`, { headers: { authorization: `Bearer ${canaryKey}-wrong` } }),
    await fetch(`${trove.url}/v1/secrets`, { headers: { authorization: `Basic ${canaryKey}` } })
  ]
  for (const res of errorResponses) {
    t.ok(res.status >= 400 && res.status < 500, `error path answered ${res.status}`)
    const body = await res.text()
    for (const form of [...forms(canaryValue), ...forms(canaryKey)]) absent(body, form, 'no canary in the error body')
  }

  const files = ['trove.db', 'trove.db-wal']
  const searchFiles = (when: string) => {
    for (const file of files) {
      const path = join(dir, 'data', file)
      if (!existsSync(path)) continue
      const bytes = readFileSync(path)
      for (const form of [...forms(canaryValue), ...forms(canaryKey), ...forms(made.key)]) {
        absent(bytes, form, `${file} ${when} does not hold ${form.slice(0, 16)}…`)
      }
    }
  }
  searchFiles('while running')
  t.equal(await trove.stop(), 0)
  searchFiles('after shutdown')

  const logs = trove.stdout() + trove.stderr()
  t.ok(logs.includes('"msg":"request completed"'), 'request logging was on')
  for (const form of [...forms(canaryValue), ...forms(canaryKey), ...forms(made.key)]) absent(logs, form, `logs do not hold ${form.slice(0, 16)}…`)
  t.comment(`leaks: ${searched} places searched (responses, database, WAL, logs; raw, base64, hex, JSON-escaped), ${leaks} leaks found`)
})
