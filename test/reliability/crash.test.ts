import { join } from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import { startTrove } from '../fixtures/process.js'
import { scale } from '../fixtures/soak.js'

/**
 * Crash safety, after SQLite's own crash tests: writers upsert without pause and record every
 * acknowledged write; the server is killed with SIGKILL at a random moment; after each restart
 * every acknowledged write must read back with its value, the database must pass
 * integrity_check and the audit chain must verify.
 */
const KEY = 'crash-test-key-0123456789'
const auth = { authorization: `Bearer ${KEY}` }
const ROUNDS = scale(3, 20)

t.test(`SIGKILL at random moments, ${ROUNDS} rounds`, async t => {
  const dir = t.testdir()
  const env = { TROVE_DATA_DIR: join(dir, 'data'), TROVE_BOOTSTRAP_KEY: KEY, TROVE_RATE_LIMIT: '1000000000', TROVE_LOG_LEVEL: 'info' }
  const acked = new Map<string, string>()
  let attempted = 0

  for (let round = 0; round < ROUNDS; round++) {
    const trove = await startTrove(env)
    const run = { stopped: false }
    // every write makes a new secret, so an unacknowledged write that did commit cannot be
    // mistaken for a lost one
    const writer = async (w: number) => {
      for (let i = 0; !run.stopped; i++) {
        const name = `r${round}_w${w}_${i}`
        const value = `value-${round}-${w}-${i}-${'x'.repeat(i % 97)}`
        attempted++
        try {
          const res = await fetch(`${trove.url}/v1/secrets`, { method: 'POST', headers: auth, body: JSON.stringify({ name, value }) })
          if (res.status === 200) acked.set(name, value)
        } catch {
          return
        }
      }
    }
    const writers = [0, 1, 2, 3, 4, 5].map(writer)
    await new Promise(resolve => setTimeout(resolve, 200 + Math.random() * 1000))
    await trove.stop('SIGKILL')
    run.stopped = true
    await Promise.all(writers)
  }

  const trove = await startTrove(env)
  t.teardown(() => trove.stop('SIGKILL'))
  let lost = 0
  const names = [...acked.keys()]
  for (let i = 0; i < names.length; i += 1000) {
    const batch = names.slice(i, i + 1000)
    const res = await fetch(`${trove.url}/v1/secrets/resolve`, { method: 'POST', headers: auth, body: JSON.stringify({ names: batch }) })
    const { secrets } = await res.json() as { secrets: Record<string, string> }
    for (const name of batch) if (secrets[name] !== acked.get(name)) lost++
  }
  const verify = await (await fetch(`${trove.url}/v1/audit_logs/verify`, { headers: auth })).json() as { valid: boolean, entries: number }
  // Trove holds its SQLite file while it runs: checked once it has stopped
  await trove.stop()
  const db = new Database(join(dir, 'data', 'trove.db'), { readonly: true })
  const integrity = db.pragma('integrity_check', { simple: true })
  db.close()

  t.comment(`crash: ${ROUNDS} SIGKILLs, ${attempted} writes attempted, ${acked.size} acknowledged, ${lost} lost; integrity_check ${String(integrity)}; audit chain ${verify.valid ? 'valid' : 'INVALID'} over ${verify.entries} entries`)
  t.ok(acked.size > ROUNDS * 10, `${acked.size} acknowledged writes`)
  t.equal(lost, 0, 'no acknowledged write lost')
  t.equal(integrity, 'ok')
  t.equal(verify.valid, true, 'the audit chain verifies')
})
