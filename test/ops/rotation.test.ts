import { join } from 'node:path'
import t from 'tap'
import { decryptEverything } from '../../src/ops/check-store.js'
import { createRotation } from '../../src/ops/rotation.js'
import { sealContext } from '../../src/services/secrets-service.js'
import type { Store } from '../../src/store/store.js'
import { buildTestApp } from '../fixtures/app.js'

/**
 * The rotation's last step: a term is retired only when no value uses it, checked by the store
 * in the retiring transaction. A value that appears under the old term after the batches passed
 * it (on PostgreSQL, a late write of another process) makes the rotation run another pass, never
 * leave it behind under a key that is gone. Runs on the store TROVE_TEST_STORE names.
 */
t.test('a value found under the old term at retire time is re-encrypted by another pass', async t => {
  const { call, trove, rawSql, store: storeKind } = await buildTestApp(t, { dbPath: join(t.testdir(), 'trove.db') })
  const lines = Array.from({ length: 40 }, (_, i) => `S${i}="value ${i}"`).join('\n')
  t.equal((await call({ method: 'POST', url: '/v1/secrets/import?format=dotenv', payload: lines })).statusCode, 200)
  const { keyring, cipher } = trove

  const retires: number[] = []
  const store: Store = {
    ...trove.store,
    async retireDataKey (term) {
      if (retires.push(term) === 1) {
        // the batches are done: put one value back under the old term, as a late write would
        const [row] = await trove.store.sealedVersions(undefined, 1)
        const context = sealContext(row!.teamId, row!.secretId, row!.nameKey, row!.version)
        const plaintext = cipher.open(at => keyring.teamKey(at, row!.teamKdfId), context, row!.blob)
        const late = cipher.seal(keyring.teamKey(term, row!.teamKdfId)!, term, context, plaintext)
        if (storeKind === 'postgres') {
          await rawSql('UPDATE secret_versions SET term = ?, blob = ? WHERE secret_id = ? AND version = ?', [term, late, row!.secretId, row!.version])
        } else {
          // only the process holding a SQLite file writes it: its own late write, through the store
          t.equal(await trove.store.rewrapVersions([{ secretId: row!.secretId, version: row!.version, oldBlob: row!.blob, term, blob: late }]), 1)
        }
      }
      return await trove.store.retireDataKey(term)
    }
  }
  const rotation = createRotation({ store, keyring, cipher })
  t.match(await rotation.start(), { state: 'running', active_term: 2, total: 40 })
  await rotation.settled()

  t.match(rotation.status(), { state: 'idle', active_term: 2, terms: [2] })
  t.same(retires, [1, 1], 'refused once while the late value used term 1, retired on the second pass')
  t.same([...(await trove.store.termUsage()).entries()], [[2, 40]], 'every value under the new term')
  t.same((await trove.store.listKeyring()).filter(r => r.purpose === 'dek').map(r => r.term), [2], 'the old term is gone')
  t.match(await decryptEverything(trove.store, keyring, cipher), { versions: 40, failures: [] }, 'and every value decrypts')
  for (const i of [0, 17, 39]) t.equal((await call({ method: 'GET', url: `/v1/secrets/S${i}/value` })).json().value, `value ${i}`)
})
