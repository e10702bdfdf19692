import { join } from 'node:path'
import t, { type Test } from 'tap'
import { buildTestApp } from '../fixtures/app.js'

/**
 * The file is edited as someone with the file but not the process would: rawSql stops Trove,
 * which holds its SQLite file while it runs, edits it and starts Trove again.
 */
async function setup (t: Test) {
  const { call: inject, rawSql } = await buildTestApp(t, { dbPath: join(t.testdir(), 'trove.db'), store: 'sqlite' })
  const call = (method: 'GET' | 'POST', url: string, payload?: object) => inject({ method, url, payload })
  const blobOf = async (name: string, version: number) => (await rawSql(
    'SELECT v.blob FROM secret_versions v JOIN secrets s ON s.id = v.secret_id WHERE s.name = ? AND v.version = ?', [name, version]
  ))[0]!.blob as Buffer
  const setBlob = (name: string, version: number, blob: Buffer) => rawSql(
    'UPDATE secret_versions SET blob = ? WHERE version = ? AND secret_id = (SELECT id FROM secrets WHERE name = ?)', [blob, version, name]
  )
  for (const [name, value] of [['alpha', 'alpha-plaintext'], ['beta', 'beta-plaintext']]) {
    await call('POST', '/v1/secrets', { name, value })
  }
  await call('POST', '/v1/secrets', { name: 'alpha', value: 'alpha-plaintext-v2' })
  return { call, blobOf, setBlob, rawSql }
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
  const { call, blobOf, setBlob } = await setup(t)
  const blob = Buffer.from(await blobOf('beta', 1))
  blob[blob.length - 20] = blob[blob.length - 20]! ^ 0x80
  await setBlob('beta', 1, blob)
  assertIntegrityError(t, await call('GET', '/v1/secrets/beta/value'), 'flipped byte')
  t.equal((await call('GET', '/v1/secrets/alpha/value')).json().value, 'alpha-plaintext-v2', 'other secrets still serve')
})

t.test('swapping two secrets\' ciphertexts does not serve one as the other', async t => {
  const { call, blobOf, setBlob } = await setup(t)
  const a = await blobOf('alpha', 2)
  const b = await blobOf('beta', 1)
  await setBlob('alpha', 2, b)
  await setBlob('beta', 1, a)
  assertIntegrityError(t, await call('GET', '/v1/secrets/alpha/value'), 'alpha holds beta\'s blob')
  assertIntegrityError(t, await call('GET', '/v1/secrets/beta/value'), 'beta holds alpha\'s blob')
})

t.test('an old version copied over the current one does not open', async t => {
  const { call, blobOf, setBlob } = await setup(t)
  await setBlob('alpha', 2, await blobOf('alpha', 1))
  assertIntegrityError(t, await call('GET', '/v1/secrets/alpha/value'), 'version 1 as version 2')
})

t.test('a secret moved to another team does not open', async t => {
  const { call, rawSql } = await setup(t)
  await rawSql("INSERT INTO teams (id, name, created_at) VALUES ('team_other', 'other', 'now')")
  await rawSql("UPDATE secrets SET team_kdf_id = (SELECT kdf_id FROM teams WHERE id = 'team_other') WHERE name = 'beta'")
  assertIntegrityError(t, await call('GET', '/v1/teams/team_other/secrets/beta/value'), 'moved to another team')
})
