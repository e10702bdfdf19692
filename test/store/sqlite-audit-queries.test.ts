import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import t from 'tap'
import { createAuditHasher, type AuditEvent, type AuditRow } from '../../src/audit/chain.js'
import type { AuditQuery, Store } from '../../src/store/store.js'
import { AUDIT_BLOCK_SIZE } from '../../src/store/sqlite/audit-queries.js'
import { openDatabase } from '../../src/store/sqlite/db.js'
import { migrate, readMigrations } from '../../src/store/sqlite/migrate.js'
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.js'

const ENTRIES = 2 * AUDIT_BLOCK_SIZE + 1500

/** Entry i (1-based id): common names and keys take turns, a rare name and key appear in every block. */
function event (i: number): AuditEvent {
  const rare = i % 1777 === 0
  return {
    createdAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
    eventType: i % 5 === 0 ? 'SECRET_UPDATED' : 'SECRET_READ',
    outcome: 'success',
    keyId: rare ? 'key_rare' : `key_${i % 2}`,
    teamId: `team_${i % 3}`,
    teamName: null,
    secretName: rare ? 'rare' : i % 7 === 0 ? null : `name_${i % 4}`,
    clientIp: null,
    requestId: null,
    detail: null
  }
}

/** What a query must answer: every entry that passes its filters, newest first, up to its limit. */
function expected (all: AuditRow[], q: AuditQuery): number[] {
  return all
    .filter(row => (q.beforeId === undefined || row.id < q.beforeId) &&
      (q.since === undefined || row.createdAt >= q.since) &&
      (q.until === undefined || row.createdAt < q.until) &&
      (q.eventType === undefined || row.eventType === q.eventType) &&
      (q.secretName === undefined || row.secretName === q.secretName) &&
      (q.keyId === undefined || row.keyId === q.keyId) &&
      (q.teamIds === null || (row.teamId !== null && q.teamIds.includes(row.teamId))))
    .map(row => row.id)
    .sort((a, b) => b - a)
    .slice(0, q.limit)
}

async function openStore (path: string): Promise<Store> {
  const store = createSqliteStore(path)
  await store.initialise({ keyring: [], defaultTeam: { id: 'team_x', name: 'default', kdfId: 0, createdAt: 'now' } })
  store.setAuditHasher(createAuditHasher(randomBytes(32)))
  return store
}

const at = (i: number) => event(i).createdAt
const QUERIES: Omit<AuditQuery, 'teamIds' | 'limit'>[] = [
  {},
  { secretName: 'rare' },
  { secretName: 'name_1' },
  { secretName: 'nobody' },
  { keyId: 'key_rare' },
  { keyId: 'key_0' },
  { secretName: 'name_2', keyId: 'key_0' },
  { secretName: 'rare', beforeId: AUDIT_BLOCK_SIZE * 2 },
  { secretName: 'name_3', beforeId: AUDIT_BLOCK_SIZE + 1 },
  { secretName: 'name_3', beforeId: AUDIT_BLOCK_SIZE },
  { secretName: 'name_0', beforeId: 1 },
  { secretName: 'name_0', since: at(AUDIT_BLOCK_SIZE - 10), until: at(AUDIT_BLOCK_SIZE + 30) },
  { secretName: 'name_0', eventType: 'SECRET_UPDATED' },
  { keyId: 'key_1', since: at(ENTRIES - 100) },
  { keyId: 'key_1', until: at(50) },
  { eventType: 'SECRET_UPDATED', beforeId: 3 * AUDIT_BLOCK_SIZE }
]

t.test('queries by secret or key find what a scan of the whole log finds, across blocks, newest first', async t => {
  const store = await openStore(join(t.testdir(), 'trove.db'))
  t.teardown(() => store.close())
  t.same(await store.listAudit({ secretName: 'rare', teamIds: null, limit: 10 }), [], 'an empty log')
  await store.appendAudit(Array.from({ length: ENTRIES }, (_, i) => event(i + 1)))
  const all = await store.auditRows(0, ENTRIES + 1)
  t.equal(all.length, ENTRIES)

  for (const query of QUERIES) {
    for (const teamIds of [null, ['team_1', 'team_2']]) {
      for (const limit of [1, 3, 1000]) {
        const q = { ...query, teamIds, limit }
        const ids = (await store.listAudit(q)).map(row => row.id)
        t.same(ids, expected(all, q), JSON.stringify(q))
      }
    }
  }
  const rare = await store.listAudit({ secretName: 'rare', teamIds: null, limit: 1000 })
  t.same(rare.map(row => row.id), [8885, 7108, 5331, 3554, 1777], 'the rare name in each block')
  t.match(rare[0], { secretName: 'rare', keyId: 'key_rare', createdAt: at(8885) }, 'whole entries')
})

t.test('paging by secret with the cursor returns every entry once', async t => {
  const store = await openStore(join(t.testdir(), 'trove.db'))
  t.teardown(() => store.close())
  await store.appendAudit(Array.from({ length: ENTRIES }, (_, i) => event(i + 1)))
  const all = await store.auditRows(0, ENTRIES + 1)
  const seen: number[] = []
  let beforeId: number | undefined
  for (;;) {
    const page = await store.listAudit({ secretName: 'name_1', beforeId, teamIds: null, limit: 700 })
    seen.push(...page.map(row => row.id))
    if (page.length < 700) break
    beforeId = page.at(-1)!.id
  }
  t.same(seen, expected(all, { secretName: 'name_1', teamIds: null, limit: ENTRIES }))
})

t.test('migration 0004 keeps an older database\'s entries and finds them by secret and key', async t => {
  const path = join(t.testdir(), 'trove.db')
  const db = openDatabase(path)
  migrate(db, readMigrations().filter(m => m.version < 4))
  db.exec(`INSERT INTO audit_log (id, created_at, event_type, outcome, key_id, secret_name, prev_hash, hash) VALUES
    (1, 'a', 'SECRET_READ', 'success', 'key_a', 'api', x'00', x'01'),
    (5000, 'b', 'SECRET_READ', 'success', 'key_b', 'api', x'01', x'02'),
    (5001, 'c', 'SECRET_READ', 'success', 'key_a', 'db', x'02', x'03')`)
  db.close()
  const store = await openStore(path)
  t.teardown(() => store.close())
  t.same((await store.listAudit({ secretName: 'api', teamIds: null, limit: 10 })).map(row => row.id), [5000, 1])
  t.same((await store.listAudit({ keyId: 'key_a', teamIds: null, limit: 10 })).map(row => row.id), [5001, 1])
})
