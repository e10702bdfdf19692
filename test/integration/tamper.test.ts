import { join } from 'node:path'
import t, { type Test } from 'tap'
import { buildTestApp } from '../fixtures/app.js'

/**
 * The file is edited as someone with the file but not the process would: rawSql stops Trove,
 * which holds its SQLite file while it runs, edits it and starts Trove again.
 *
 * A ciphertext is read from two places: a read of the current value takes the copy in the
 * secret's own row (secrets.current_blob), a read of `?version=N` the version's row. Every
 * scenario edits each place and reads through it; `place.read` is the read that uses it.
 */
async function setup (t: Test) {
  const { call: inject, rawSql } = await buildTestApp(t, { dbPath: join(t.testdir(), 'trove.db'), store: 'sqlite' })
  const call = (method: 'GET' | 'POST', url: string, payload?: object) => inject({ method, url, payload })
  const blobOf = async (name: string, version: number) => (await rawSql(
    'SELECT v.blob FROM secret_versions v JOIN secrets s ON s.id = v.secret_id WHERE s.name = ? AND v.version = ?', [name, version]
  ))[0]!.blob as Buffer
  for (const [name, value] of [['alpha', 'alpha-plaintext'], ['beta', 'beta-plaintext']]) {
    await call('POST', '/v1/secrets', { name, value })
  }
  await call('POST', '/v1/secrets', { name: 'alpha', value: 'alpha-plaintext-v2' })
  return { call, blobOf, rawSql }
}

type Setup = Awaited<ReturnType<typeof setup>>

/** Where a current version's ciphertext is edited, and the read that takes it from there. */
const places = [
  {
    place: 'the secret\'s copy of its current version',
    setBlob: (s: Setup, name: string, blob: Buffer) => s.rawSql('UPDATE secrets SET current_blob = ? WHERE name = ?', [blob, name]),
    read: (s: Setup, name: string) => s.call('GET', `/v1/secrets/${name}/value`)
  },
  {
    place: 'the version\'s row',
    setBlob: (s: Setup, name: string, blob: Buffer) => s.rawSql(
      'UPDATE secret_versions SET blob = ? FROM secrets s WHERE s.name = ? AND secret_id = s.id AND version = s.current_version', [blob, name]
    ),
    read: async (s: Setup, name: string) => {
      const version = (await s.rawSql('SELECT current_version FROM secrets WHERE name = ?', [name]))[0]!.current_version as number
      return await s.call('GET', `/v1/secrets/${name}/value?version=${version}`)
    }
  }
]

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

for (const { place, setBlob, read } of places) {
  t.test(`${place}: a flipped byte is an integrity error, never garbage`, async t => {
    const s = await setup(t)
    const blob = Buffer.from(await s.blobOf('beta', 1))
    blob[blob.length - 20] = blob[blob.length - 20]! ^ 0x80
    await setBlob(s, 'beta', blob)
    assertIntegrityError(t, await read(s, 'beta'), 'flipped byte')
    t.equal((await read(s, 'alpha')).json().value, 'alpha-plaintext-v2', 'other secrets still serve')
  })

  t.test(`${place}: swapping two secrets' ciphertexts does not serve one as the other`, async t => {
    const s = await setup(t)
    const a = await s.blobOf('alpha', 2)
    const b = await s.blobOf('beta', 1)
    await setBlob(s, 'alpha', b)
    await setBlob(s, 'beta', a)
    assertIntegrityError(t, await read(s, 'alpha'), 'alpha holds beta\'s blob')
    assertIntegrityError(t, await read(s, 'beta'), 'beta holds alpha\'s blob')
  })

  t.test(`${place}: an old version copied over the current one does not open`, async t => {
    const s = await setup(t)
    await setBlob(s, 'alpha', await s.blobOf('alpha', 1))
    assertIntegrityError(t, await read(s, 'alpha'), 'version 1 as version 2')
  })
}

t.test('a secret moved to another team does not open', async t => {
  const { call, rawSql } = await setup(t)
  await rawSql("INSERT INTO teams (id, name, created_at) VALUES ('team_other', 'other', 'now')")
  await rawSql("UPDATE secrets SET team_kdf_id = (SELECT kdf_id FROM teams WHERE id = 'team_other') WHERE name = 'beta'")
  assertIntegrityError(t, await call('GET', '/v1/teams/team_other/secrets/beta/value'), 'moved to another team')
})
