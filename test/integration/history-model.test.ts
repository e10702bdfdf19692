import fc from 'fast-check'
import t from 'tap'
import { secretNameKey } from '../../src/services/names.js'
import { buildTestApp } from '../fixtures/app.js'

/**
 * Model-based test: random sequences of upserts, deletes, restores and rollbacks must leave the
 * store equal to a plain in-memory model of what those operations mean.
 */
interface Live { name: string, values: string[] }

type Op =
  | { kind: 'upsert', name: string, value: string }
  | { kind: 'delete', name: string }
  | { kind: 'restore', name: string }
  | { kind: 'rollback', name: string, version: number }

const names = fc.constantFrom('alpha', 'beta', 'a-b', 'a_b', 'a.b')
const values = fc.constantFrom('one', 'two', 'three', '', 'multi\nline')
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('upsert' as const), name: names, value: values }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), name: names }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('restore' as const), name: names }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('rollback' as const), name: names, version: fc.integer({ min: 1, max: 5 }) }) }
)

t.test('the store behaves like the model', async t => {
  let runs = 0
  await fc.assert(fc.asyncProperty(fc.array(op, { maxLength: 25 }), async ops => {
    runs++
    const { call, close } = await buildTestApp(t)
    // each run's store closes when the run ends, not with the test: 60 open PostgreSQL pools would be too many connections
    try {
      const live = new Map<string, Live>()
      const trash = new Map<string, Live[]>()

      for (const o of ops) {
        const key = secretNameKey(o.name)
        const current = live.get(key)
        let expected: number
        let res
        if (o.kind === 'upsert') {
          res = await call({ method: 'POST', url: '/v1/secrets', payload: { name: o.name, value: o.value } })
          expected = 200
          if (current === undefined) live.set(key, { name: o.name, values: [o.value] })
          else if (current.values.at(-1) !== o.value) current.values.push(o.value)
        } else if (o.kind === 'delete') {
          res = await call({ method: 'DELETE', url: `/v1/secrets/${o.name}` })
          expected = current === undefined ? 404 : 200
          if (current !== undefined) {
            live.delete(key)
            trash.set(key, [...(trash.get(key) ?? []), current])
          }
        } else if (o.kind === 'restore') {
          res = await call({ method: 'POST', url: `/v1/trash/${o.name}/restore` })
          const trashed = trash.get(key) ?? []
          expected = trashed.length === 0 ? 404 : current !== undefined ? 409 : 200
          if (expected === 200) live.set(key, trashed.pop()!)
        } else {
          res = await call({ method: 'POST', url: `/v1/secrets/${o.name}/rollback`, payload: { version: o.version } })
          expected = current === undefined || o.version > current.values.length ? 404 : 200
          if (expected === 200) {
            const value = current!.values[o.version - 1]!
            if (current!.values.at(-1) !== value) current!.values.push(value)
          }
        }
        if (res.statusCode !== expected) throw new Error(`${JSON.stringify(o)} answered ${res.statusCode}, the model says ${expected}: ${res.body}`)
      }

      const listed = (await call({ method: 'GET', url: '/v1/secrets' })).json().secrets as { name: string, version: number }[]
      const model = [...live.entries()].sort(([a], [b]) => a < b ? -1 : 1)
      if (JSON.stringify(listed.map(s => [s.name, s.version])) !== JSON.stringify(model.map(([, s]) => [s.name, s.values.length]))) {
        throw new Error(`list ${JSON.stringify(listed)} differs from the model ${JSON.stringify(model)}`)
      }
      for (const [, secret] of model) {
        for (const [i, value] of secret.values.entries()) {
          const read = (await call({ method: 'GET', url: `/v1/secrets/${secret.name}/value?version=${i + 1}` })).json()
          if (read.value !== value) throw new Error(`${secret.name} v${i + 1} is ${JSON.stringify(read.value)}, the model says ${JSON.stringify(value)}`)
        }
      }
      const trashCount = (await call({ method: 'GET', url: '/v1/trash' })).json().secrets.length
      const modelTrash = [...trash.values()].reduce((n, list) => n + list.length, 0)
      if (trashCount !== modelTrash) throw new Error(`trash holds ${trashCount}, the model ${modelTrash}`)
    } finally {
      await close()
    }
  }), { numRuns: 60 })
  t.pass(`${runs} random sequences matched the model`)
})
