import { readFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import t from 'tap'
import { startTrove, type TroveProcess } from '../fixtures/process.js'
import { scale } from '../fixtures/soak.js'

/**
 * Resource limits: oversized bodies, a very large import, slow clients and many connections get
 * clear answers with bounded memory, and the server keeps serving everybody else.
 */
const KEY = 'limits-test-key-0123456789'
const auth = { authorization: `Bearer ${KEY}` }

function rssMiB (trove: TroveProcess): number {
  const status = readFileSync(`/proc/${trove.child.pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024
}

async function timed (url: string): Promise<{ status: number, ms: number }> {
  const started = performance.now()
  const res = await fetch(url, { headers: auth })
  await res.arrayBuffer()
  return { status: res.status, ms: performance.now() - started }
}

t.test('limits', async t => {
  const trove = await startTrove({ TROVE_DB: ':memory:', TROVE_BOOTSTRAP_KEY: KEY, TROVE_RATE_LIMIT: '1000000000' })
  t.teardown(() => trove.stop('SIGKILL'))
  await fetch(`${trove.url}/v1/secrets`, { method: 'POST', headers: auth, body: '{"name":"probe","value":"v"}' })
  const figures: string[] = []

  t.test('oversized bodies are 413 and memory stays bounded', async t => {
    const before = rssMiB(trove)
    const uploads = scale(20, 100)
    const big = 'x'.repeat(5 * 1024 * 1024)
    const results = await Promise.all(Array.from({ length: uploads }, () =>
      fetch(`${trove.url}/v1/secrets`, { method: 'POST', headers: auth, body: `{"name":"big","value":"${big}"}` })
        .then(async res => { await res.arrayBuffer(); return res.status }, () => 'reset')))
    const growth = rssMiB(trove) - before
    figures.push(`${uploads} concurrent 5 MiB bodies: ${results.filter(s => s === 413).length} × 413, ${results.filter(s => s === 'reset').length} reset; RSS +${growth.toFixed(0)} MiB`)
    t.ok(results.every(s => s === 413 || s === 'reset'), 'every oversized body is refused')
    t.ok(growth < 150, `RSS grew ${growth.toFixed(0)} MiB`)
    t.equal((await timed(`${trove.url}/v1/secrets/probe/value`)).status, 200, 'still serving')
  })

  t.test('a very large import is applied in one go, within the body limit', async t => {
    const count = scale(30_000, 60_000)
    const file = Array.from({ length: count }, (_, i) => `K${i}=v`).join('\n')
    const res = await fetch(`${trove.url}/v1/secrets/import?format=dotenv`, { method: 'POST', headers: auth, body: file })
    const body = await res.json() as { applied?: boolean, code?: string }
    figures.push(`import of ${count} secrets (${(file.length / 1024).toFixed(0)} KiB): ${res.status} ${body.applied === true ? 'applied' : body.code}`)
    t.ok(res.status === 200 || res.status === 413, `answered ${res.status}`)
    t.equal((await timed(`${trove.url}/v1/secrets/probe/value`)).status, 200, 'still serving')
  })

  t.test('slow clients do not hold up others', async t => {
    const sockets: Socket[] = []
    const slow = scale(100, 500)
    for (let i = 0; i < slow; i++) {
      const socket = connect(Number(new URL(trove.url).port), '127.0.0.1')
      socket.on('error', () => {})
      socket.write('GET /v1/secrets HTTP/1.1\r\nHost: x\r\n')
      sockets.push(socket)
    }
    const trickle = setInterval(() => { for (const s of sockets) s.write('X-Slow: 1\r\n') }, 200)
    const answers: { status: number, ms: number }[] = []
    for (let i = 0; i < 50; i++) answers.push(await timed(`${trove.url}/v1/secrets/probe/value`))
    clearInterval(trickle)
    for (const s of sockets) s.destroy()
    const worst = Math.max(...answers.map(a => a.ms))
    figures.push(`${slow} slow clients trickling headers: 50 other requests all ${answers.every(a => a.status === 200) ? '200' : 'NOT 200'}, slowest ${worst.toFixed(0)} ms`)
    t.ok(answers.every(a => a.status === 200))
    t.ok(worst < 1000, `slowest answer ${worst.toFixed(0)} ms`)
  })

  t.test('many connections at once are all answered', async t => {
    const count = scale(300, 2000)
    const results = await Promise.all(Array.from({ length: count }, () => timed(`${trove.url}/v1/secrets/probe/value`).catch(() => ({ status: 0, ms: 0 }))))
    const ok = results.filter(r => r.status === 200).length
    figures.push(`${count} concurrent requests: ${ok} × 200, ${count - ok} other`)
    t.equal(ok, count)
  })

  t.teardown(() => { t.comment(`limits:\n  ${figures.join('\n  ')}`) })
})
