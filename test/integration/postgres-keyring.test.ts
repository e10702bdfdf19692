import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { buildApp } from '../../src/app.js'
import { openTrove, type OpenedTrove } from '../../src/trove.js'
import { TEST_KEY } from '../fixtures/app.js'
import { adminQuery, testSchema } from '../fixtures/postgres.js'

/**
 * Two Troves in this process on one PostgreSQL schema, each with the keyring it unlocked at
 * start, as two processes behind a load balancer: what one does to the keys (rotate, rekey) the
 * other meets on its next read or write. The same with real processes under load is in
 * postgres-multi-process.test.ts.
 */

interface Node {
  trove: OpenedTrove
  app: FastifyInstance
  call (method: 'GET' | 'POST', url: string, payload?: unknown): Promise<LightMyRequestResponse>
}

async function openNode (t: Test, options: { url: string, dataDir: string, masterKeyFile: string }): Promise<Node> {
  const trove = await openTrove({ dataDir: options.dataDir, dbPath: join(options.dataDir, 'unused.db'), databaseUrl: options.url, masterKeyFile: options.masterKeyFile, bootstrapKey: TEST_KEY }, { warn () {} })
  const app = await buildApp({ trove, rateLimit: 1_000_000 })
  t.teardown(async () => { await app.close(); await trove.close() })
  return {
    trove,
    app,
    call: (method, url, payload) => app.inject({ method, url, payload: payload as Record<string, unknown> | undefined, headers: { authorization: `Bearer ${TEST_KEY}` } })
  }
}

async function twoNodes (t: Test) {
  const { url, schema } = await testSchema(t)
  const dir = t.testdir()
  const masterKeyFile = join(dir, 'master.key')
  writeFileSync(masterKeyFile, randomBytes(32).toString('base64'), { mode: 0o600 })
  const a = await openNode(t, { url, dataDir: join(dir, 'a'), masterKeyFile })
  const b = await openNode(t, { url, dataDir: join(dir, 'b'), masterKeyFile })
  /** terms in use by stored values, and data-key terms in the keyring */
  const terms = async () => ({
    values: (await adminQuery<{ term: number }>(`SELECT DISTINCT term FROM ${schema}.secret_versions ORDER BY term`)).map(r => r.term),
    keys: (await adminQuery<{ term: number }>(`SELECT term FROM ${schema}.keyring WHERE purpose = 'dek' ORDER BY term`)).map(r => r.term)
  })
  return { a, b, url, dir, terms }
}

async function rotated (node: Node): Promise<Record<string, unknown>> {
  const started = await node.call('POST', '/v1/sys/rotate')
  if (started.statusCode !== 200) return started.json()
  for (;;) {
    const status = (await node.call('GET', '/v1/sys/rotation')).json()
    if (status.state !== 'running') return status
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

const value = async (node: Node, name: string) => (await node.call('GET', `/v1/secrets/${name}/value`)).json().value

t.test('a rotation on one process: the other reads the re-encrypted values and writes under the new term', async t => {
  const { a, b, terms } = await twoNodes(t)
  t.equal((await a.call('POST', '/v1/secrets', { name: 'from-a', value: 'written by a' })).statusCode, 200)
  t.equal((await b.call('POST', '/v1/secrets', { name: 'from-b', value: 'written by b' })).statusCode, 200)

  t.match(await rotated(a), { state: 'idle', active_term: 2, terms: [2] })
  t.same(await terms(), { values: [2], keys: [2] }, 'every value re-encrypted, term 1 retired')
  t.equal(b.trove.keyring.activeTerm, 1, 'b has not noticed yet')
  t.equal(await value(b, 'from-b'), 'written by b', 'b reads its own value, re-encrypted under a term it loads on meeting it')
  t.equal(b.trove.keyring.activeTerm, 2)
  t.same(b.trove.keyring.terms, [2], 'b forgot the retired term')

  t.match(await rotated(a), { state: 'idle', active_term: 3, terms: [3] })
  t.equal((await b.call('POST', '/v1/secrets', { name: 'from-b', value: 'b after the rotations' })).statusCode, 200,
    'b\'s write under term 2 is refused by the store, then sealed again under term 3')
  t.equal(b.trove.keyring.activeTerm, 3)
  t.same(await terms(), { values: [3], keys: [3] }, 'nothing under a retired term')

  t.match(await rotated(b), { state: 'idle', active_term: 4, terms: [4] }, 'and b can rotate in turn')
  t.equal(await value(a, 'from-b'), 'b after the rotations')
  t.equal((await a.call('GET', '/v1/secrets/from-b/value?version=1')).json().value, 'written by b')
  t.equal(await value(a, 'from-a'), 'written by a')
  t.same(await terms(), { values: [4], keys: [4] })
})

t.test('a term neither process wrote is still an integrity error after the reload', async t => {
  const { a, b, url } = await twoNodes(t)
  await a.call('POST', '/v1/secrets', { name: 'tampered', value: 'v' })
  const schema = new URL(url).searchParams.get('options')!.replace('-c search_path=', '')
  // the column and the blob's header both name term 99, which no keyring row has
  await adminQuery(`UPDATE ${schema}.secret_versions SET term = 99, blob = overlay(blob placing '\\x00000063'::bytea from 2 for 4)`)
  const res = await b.call('GET', '/v1/secrets/tampered/value')
  t.equal(res.statusCode, 500)
  t.match(res.json(), { code: 'integrity_error' })
})

t.test('after a rekey on one process, the other keeps serving with the keys it holds; what needs new keys fails clearly', async t => {
  const { a, b, dir, url, terms } = await twoNodes(t)
  await a.call('POST', '/v1/secrets', { name: 'before', value: 'before the rekey' })
  const newKeyFile = join(dir, 'new.key')
  writeFileSync(newKeyFile, randomBytes(32).toString('base64'), { mode: 0o600 })
  t.equal((await a.call('POST', '/v1/sys/rekey', { new_master_key_file: newKeyFile })).statusCode, 200)

  t.equal((await a.call('GET', '/readyz')).statusCode, 200, 'a, which rekeyed, is ready')
  const ready = await b.call('GET', '/readyz')
  t.equal(ready.statusCode, 503, 'b is not ready: a load balancer stops sending it traffic until it is restarted')
  t.match(ready.json(), { code: 'not_ready', message: /rekeyed under a new master key by another Trove process: restart this process/ })
  t.equal(await value(b, 'before'), 'before the rekey', 'b reads: its data keys did not change')
  t.equal((await b.call('POST', '/v1/secrets', { name: 'by-b', value: 'b after the rekey' })).statusCode, 200, 'b writes: the active term did not change')

  t.match(await rotated(a), { state: 'idle', active_term: 2 }, 'a rotates under the new master key')
  const write = await b.call('POST', '/v1/secrets', { name: 'by-b', value: 'refused' })
  t.equal(write.statusCode, 503, 'b cannot load term 2 with its old KEK')
  t.match(write.json(), { code: 'master_key_changed', message: /restart this process with the new master key/ })
  const read = await b.call('GET', '/v1/secrets/before/value')
  t.match(read.json(), { code: 'master_key_changed' }, 'nor read a value re-encrypted to it')
  t.equal(read.headers['retry-after'], '1', 'another process may answer it')
  t.match((await b.call('POST', '/v1/sys/rotate')).json(), { code: 'master_key_changed' }, 'nor rotate: it would wrap a key under a master key that is gone')
  t.match((await b.call('POST', '/v1/sys/rekey', { new_master_key_file: newKeyFile })).json(), { code: 'master_key_changed' }, 'nor rekey')

  t.same(await terms(), { values: [2], keys: [2] })
  t.equal(await value(a, 'before'), 'before the rekey', 'nothing was lost')
  t.equal(await value(a, 'by-b'), 'b after the rekey', 'b\'s write before the rotation too')
  const restarted = await openNode(t, { url, dataDir: join(dir, 'b2'), masterKeyFile: newKeyFile })
  t.equal(await value(restarted, 'by-b'), 'b after the rekey', 'b restarted with the new key reads everything')
  t.equal((await restarted.call('POST', '/v1/secrets', { name: 'by-b', value: 'b restarted' })).statusCode, 200)
})
