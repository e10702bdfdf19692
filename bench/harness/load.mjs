// Load generators (autocannon, in the harness process) and one measured run of a scenario.
import autocannon from 'autocannon'
import { BENCH_KEY, secretName, spreadIndex } from './names.mjs'
import { countCpu } from './cpu.mjs'
import { httpGet } from './processes.mjs'
import { readMemory, sampleRss } from './rss.mjs'

const AUTH = { authorization: `Bearer ${BENCH_KEY}` }
const JSON_AUTH = { ...AUTH, 'content-type': 'application/json' }

/** A request whose path changes every time: `pathOf(i)` for the i-th request of the run. */
function dynamicGet (pathOf, counter) {
  return { method: 'GET', headers: AUTH, setupRequest: req => ({ ...req, path: pathOf(counter.next()) }) }
}

/** An upsert with a value never sent before, so every request makes a new version. */
function dynamicUpsert (size, tag, counter) {
  return {
    method: 'POST',
    path: '/v1/secrets',
    headers: JSON_AUTH,
    setupRequest: req => {
      const i = counter.next()
      return { ...req, body: JSON.stringify({ name: secretName(spreadIndex(i, size)), value: `${tag}-${i}-`.padEnd(48, 'y') }) }
    }
  }
}

/** One counter shared by all connections of a run, so they ask for different names. */
function makeCounter () {
  let i = 0
  return { next: () => i++ }
}

/** The autocannon `requests` array of each kind of scenario; every connection cycles through it. */
export function requestsFor (kind, size) {
  const counter = makeCounter()
  const tag = Math.random().toString(36).slice(2, 8)
  const value = dynamicGet(i => `/v1/secrets/${secretName(spreadIndex(i, size))}/value`, counter)
  switch (kind) {
    case 'bare': return [dynamicGet(i => `/bare/${secretName(spreadIndex(i, size))}`, counter)]
    case 'read-value': return [value]
    case 'read-meta': return [dynamicGet(i => `/v1/secrets/${secretName(spreadIndex(i, size))}`, counter)]
    case 'list': return [{ method: 'GET', path: '/v1/secrets', headers: AUTH }]
    case 'upsert': return [dynamicUpsert(size, tag, counter)]
    // 9 reads then 1 write on each connection: exactly 90/10 by count, in one autocannon instance
    case 'mixed': return [...Array(9).fill(value), dynamicUpsert(size, tag, counter)]
    default: throw new Error(`unknown scenario kind ${kind}`)
  }
}

function cannon (options) {
  return new Promise((resolve, reject) => autocannon(options, (err, result) => err ? reject(err) : resolve(result)))
}

/** The figures kept from an autocannon result. */
function summarise (result) {
  return {
    reqPerSec: result.requests.average,
    total: result.requests.total,
    durationSec: result.duration,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: result.latency.average },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    resets: result.resets,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, count]))
  }
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

/**
 * When autocannon stops, requests it already sent may still be queued in the server; they would
 * be counted against the next scenario, or refused by a shutdown. Two answers on a fresh
 * connection, apart, mean the queue has drained.
 */
async function settle (settleUrl) {
  for (let i = 0; i < 2; i++) {
    await sleep(100)
    await httpGet(settleUrl)
  }
}

/**
 * Loads `url` with a warm-up first (JIT, caches; not counted), then the measured run while
 * the server's RSS and everyone's CPU time are sampled. `kind` and `size` choose the requests.
 */
export async function measure (server, { kind, size, connections }, { seconds, warmupSeconds }) {
  const { url, settleUrl, pid } = server
  const base = { url, connections, pipelining: 1, timeout: 10 }
  if (warmupSeconds > 0) {
    await cannon({ ...base, duration: warmupSeconds, requests: requestsFor(kind, size) })
    await settle(settleUrl)
  }
  const stopSampling = sampleRss(pid)
  const stopCounting = countCpu(pid)
  const result = await cannon({ ...base, duration: seconds, requests: requestsFor(kind, size) })
  const cpu = stopCounting()
  const rssPeakMiB = stopSampling()
  await settle(settleUrl)
  const memory = readMemory(pid)
  return { ...summarise(result), cpu, rssPeakMiB, rssAfterMiB: memory?.rss, hwmMiB: memory?.hwm }
}
