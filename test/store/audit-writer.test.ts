import { existsSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { eventFrom } from '../../src/audit/audit-log.js'
import { createAuditHasher, verifyChain, type AuditRow } from '../../src/audit/chain.js'
import { createAuditWriter } from '../../src/store/sqlite/audit-writer.js'
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.js'
import type { Store } from '../../src/store/store.js'

const AUDIT_KEY = randomBytes(32)
const read = (i: number) => eventFrom(undefined, 'SECRET_READ', { secretName: `secret_${i}` })

async function chainOf (store: Store) {
  async function * pages (): AsyncGenerator<AuditRow[]> {
    for (let after = 0; ;) {
      const rows = await store.auditRows(after, 100)
      if (rows.length === 0) return
      yield rows
      after = rows.at(-1)!.id
    }
  }
  return await verifyChain(createAuditHasher(AUDIT_KEY), pages())
}

function fileStore (t: Test): { store: Store, path: string } {
  const path = join(t.testdir(), 'trove.db')
  const store = createSqliteStore(path)
  store.setAuditKey(AUDIT_KEY)
  return { store, path }
}

t.test('grouped records written on the writer thread and changes written by the store form one chain', async t => {
  const { store, path } = fileStore(t)
  const writes: Promise<unknown>[] = []
  for (let i = 0; i < 20; i++) {
    writes.push(store.appendAudit([read(i), read(i + 100)]))
    writes.push(store.createTeam({ id: `team_${i}`, name: `team-${i}`, createdAt: new Date().toISOString() },
      eventFrom(undefined, 'TEAM_CREATED')))
  }
  await Promise.all(writes)
  const chain = await chainOf(store)
  t.equal(chain.valid, true)
  t.equal(chain.entries, 60, 'every record of both connections is in the chain')
  const rows = await store.auditRows(0, 100)
  t.equal(rows.filter(row => row.eventType === 'SECRET_READ').length, 40)
  await store.close()
  t.notOk(existsSync(`${path}-wal`), 'closing stops the writer too, so the database is one file again')
})

t.test('a backup taken while groups keep coming finishes, and holds a valid chain', async t => {
  const { store } = fileStore(t)
  // large enough that the online backup takes many steps, between which the writer commits
  for (let i = 0; i < 10; i++) await store.appendAudit(Array.from({ length: 5000 }, (_, j) => read(i * 5000 + j)))
  const running = { stop: false }
  const steady = (async () => {
    for (let i = 0; !running.stop; i++) await store.appendAudit([read(i)])
  })()
  const copy = join(t.testdir(), 'copy.db')
  await store.backup(copy)
  running.stop = true
  await steady
  const snapshot = createSqliteStore(copy)
  t.same(await snapshot.checkIntegrity(), [])
  const chain = await chainOf(snapshot)
  t.equal(chain.valid, true)
  t.ok(chain.entries >= 50_000, 'the snapshot holds what was written before it')
  await snapshot.close()
  await store.close()
})

t.test('a group the writer cannot write fails with a code and no content; the next group tries again', async t => {
  const dir = t.testdir()
  const writer = createAuditWriter({ path: join(dir, 'missing', 'trove.db'), auditKey: AUDIT_KEY })
  const secretName = 'secret_that_must_not_show'
  for (let attempt = 0; attempt < 2; attempt++) {
    const err = await writer.append([eventFrom(undefined, 'SECRET_READ', { secretName })]).then(() => undefined, (e: unknown) => e as Error & { code: string })
    t.equal(err?.name, 'AuditWriteError', `attempt ${attempt + 1}`)
    t.notMatch(err?.message, secretName)
  }
  await writer.close()
  await t.rejects(writer.append([read(1)]), { code: 'writer_closed' }, 'a closed writer writes nothing')
})
