import { join } from 'node:path'
import Database from 'better-sqlite3'
import t, { type Test } from 'tap'
import { buildApp } from '../../src/app.js'
import { openTrove } from '../../src/trove.js'

const KEY = 'tamper-test-key-0123456789'

type Raw = Database.Database

const blobOf = (raw: Raw, name: string, version: number) => raw.prepare(
  'SELECT v.blob FROM secret_versions v JOIN secrets s ON s.id = v.secret_id WHERE s.name = ? AND v.version = ?'
).pluck().get(name, version) as Buffer
const setBlob = (raw: Raw, name: string, version: number, blob: Buffer) => raw.prepare(
  'UPDATE secret_versions SET blob = ? WHERE version = ? AND secret_id = (SELECT id FROM secrets WHERE name = ?)'
).run(blob, version, name)

async function setup (t: Test) {
  const dir = t.testdir()
  const dbPath = join(dir, 'trove.db')
  const open = async () => {
    const trove = await openTrove({ dataDir: dir, dbPath, bootstrapKey: KEY }, { warn () {} })
    return { trove, app: await buildApp({ trove }) }
  }
  let running = await open()
  t.teardown(async () => {
    await running.app.close()
    await running.trove.close()
  })
  const call = (method: 'GET' | 'POST', url: string, payload?: object) =>
    running.app.inject({ method, url, payload, headers: { authorization: `Bearer ${KEY}` } })
  /**
   * Edits the file as someone with the file but not the process would: Trove holds it while it
   * runs (src/store/sqlite/db.ts), so it is stopped meanwhile and started again.
   */
  const tamper = async (edit: (raw: Raw) => void) => {
    await running.app.close()
    await running.trove.close()
    const raw = new Database(dbPath)
    try {
      edit(raw)
    } finally {
      raw.close()
      running = await open()
    }
  }
  for (const [name, value] of [['alpha', 'alpha-plaintext'], ['beta', 'beta-plaintext']]) {
    await call('POST', '/v1/secrets', { name, value })
  }
  await call('POST', '/v1/secrets', { name: 'alpha', value: 'alpha-plaintext-v2' })
  return { call, tamper }
}

const figures = { tampered: 0, integrityErrors: 0, plaintextServed: 0 }
t.teardown(() => { t.comment(`tamper: ${figures.tampered} tampered reads, ${figures.integrityErrors} integrity errors, ${figures.plaintextServed} served plaintext`) })

function assertIntegrityError (t: Test, res: { statusCode: number, body: string, json (): { code: string } }, what: string): void {
  figures.tampered++
  if (res.statusCode === 500 && res.json().code === 'integrity_error') figures.integrityErrors++
  if (res.body.includes('plaintext')) figures.plaintextServed++
  t.equal(res.statusCode, 500, what)
  t.equal(res.json().code, 'integrity_error', what)
  t.notOk(res.body.includes('plaintext'), `${what}: no plaintext in the answer`)
}

t.test('a flipped byte in a stored value is an integrity error, never garbage', async t => {
  const { call, tamper } = await setup(t)
  await tamper(raw => {
    const blob = Buffer.from(blobOf(raw, 'beta', 1))
    blob[blob.length - 20] = blob[blob.length - 20]! ^ 0x80
    setBlob(raw, 'beta', 1, blob)
  })
  assertIntegrityError(t, await call('GET', '/v1/secrets/beta/value'), 'flipped byte')
  t.equal((await call('GET', '/v1/secrets/alpha/value')).json().value, 'alpha-plaintext-v2', 'other secrets still serve')
})

t.test('swapping two secrets\' ciphertexts does not serve one as the other', async t => {
  const { call, tamper } = await setup(t)
  await tamper(raw => {
    const a = blobOf(raw, 'alpha', 2)
    const b = blobOf(raw, 'beta', 1)
    setBlob(raw, 'alpha', 2, b)
    setBlob(raw, 'beta', 1, a)
  })
  assertIntegrityError(t, await call('GET', '/v1/secrets/alpha/value'), 'alpha holds beta\'s blob')
  assertIntegrityError(t, await call('GET', '/v1/secrets/beta/value'), 'beta holds alpha\'s blob')
})

t.test('an old version copied over the current one does not open', async t => {
  const { call, tamper } = await setup(t)
  await tamper(raw => { setBlob(raw, 'alpha', 2, blobOf(raw, 'alpha', 1)) })
  assertIntegrityError(t, await call('GET', '/v1/secrets/alpha/value'), 'version 1 as version 2')
})

t.test('a secret moved to another team does not open', async t => {
  const { call, tamper } = await setup(t)
  await tamper(raw => {
    raw.prepare("INSERT INTO teams (id, name, created_at) VALUES ('team_other', 'other', 'now')").run()
    raw.prepare("UPDATE secrets SET team_kdf_id = (SELECT kdf_id FROM teams WHERE id = 'team_other') WHERE name = 'beta'").run()
  })
  assertIntegrityError(t, await call('GET', '/v1/teams/team_other/secrets/beta/value'), 'moved to another team')
})
