import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { openDatabase } from '../../src/store/sqlite/db.js'
import { startTrove } from '../fixtures/process.js'

/**
 * Disk full, on a small tmpfs (needs root to mount, as CI has): writes answer 507 storage_full,
 * reads go on, and nothing already stored is damaged.
 */
const KEY = 'disk-full-test-key-0123456789'
const auth = { authorization: `Bearer ${KEY}` }

function mountTmpfs (dir: string, size: string): boolean {
  try {
    mkdirSync(dir, { recursive: true })
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

// outside tap's test folder, which it removes before teardowns have unmounted anything
const dir = mkdtempSync(join(tmpdir(), 'trove-disk-full-'))
const mounted = mountTmpfs(dir, '3m')

t.test('a full disk refuses writes with 507 and keeps serving reads', { skip: mounted ? false : 'mounting a tmpfs needs root (CI runs as root)' }, async t => {
  t.teardown(() => {
    try { execFileSync('umount', [dir]) } catch {}
    rmSync(dir, { recursive: true, force: true })
  })
  const trove = await startTrove({ TROVE_DATA_DIR: dir, TROVE_BOOTSTRAP_KEY: KEY, TROVE_RATE_LIMIT: '1000000000', TROVE_AUDIT_READS: 'false' })
  const acked = new Map<string, string>()
  const statuses = new Map<number, number>()
  let full = false
  for (let i = 0; i < 20_000 && !full; i++) {
    const name = `fill_${i}`
    const value = `${i}-${'x'.repeat(4000)}`
    const res = await fetch(`${trove.url}/v1/secrets`, { method: 'POST', headers: auth, body: JSON.stringify({ name, value }) })
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
    if (res.status === 200) acked.set(name, value)
    if (res.status === 507) {
      full = true
      t.match(await res.json(), { code: 'storage_full' })
    }
  }
  t.ok(full, 'the disk filled up')
  // keep writing a little: every answer is 507, never another 5xx
  for (let i = 0; i < 20; i++) {
    const res = await fetch(`${trove.url}/v1/secrets`, { method: 'POST', headers: auth, body: JSON.stringify({ name: `more_${i}`, value: 'x'.repeat(4000) }) })
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
    t.equal(res.status, 507, 'still 507')
  }
  let readsOk = 0
  for (const [name, value] of [...acked].slice(-50)) {
    const res = await fetch(`${trove.url}/v1/secrets/${name}/value`, { headers: auth })
    if (res.status === 200 && (await res.json() as { value: string }).value === value) readsOk++
  }
  t.equal(readsOk, Math.min(50, acked.size), 'reads go on')
  t.equal((await fetch(`${trove.url}/readyz`)).status, 200, 'still ready')
  await trove.stop('SIGKILL')

  // opened as Trove opens it: held exclusively, so the WAL index is kept in memory; a read-only
  // connection would need a -shm file, which the full disk cannot take
  const db = openDatabase(join(dir, 'trove.db'))
  t.equal(db.pragma('integrity_check', { simple: true }), 'ok', 'the database is intact')
  const stored = db.prepare('SELECT count(*) FROM secrets').pluck().get() as number
  db.close()
  t.ok(stored >= acked.size, 'every acknowledged secret is stored')
  t.comment(`disk full: ${acked.size} writes acknowledged before the disk filled; statuses ${JSON.stringify(Object.fromEntries(statuses))}; integrity ok`)
  const other5xx = [...statuses.keys()].filter(s => s >= 500 && s !== 507)
  t.same(other5xx, [], 'no 5xx but 507')
})
