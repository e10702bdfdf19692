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

/**
 * The autocannon `requests` array of each kind of scenario; every connection cycles through it.
 * Instances that load the processes of one deployment share `counter`, so together they ask
 * for the same spread of names as one instance would, and never upsert the same one at once.
 */
export function requestsFor (kind, size, counter = makeCounter()) {
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

/** `connections` shared out over `parts` instances, the first ones taking any remainder. */
function splitConnections (connections, parts) {
  return Array.from({ length: parts }, (_, i) => Math.floor(connections / parts) + (i < connections % parts ? 1 : 0))
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
 * Several processes' figures as one deployment's: throughput, counts and memory add up, latency
 * is the worse process's (its mean weighted by requests). Each process's own figures are kept.
 */
function combine (each) {
  const total = pick => each.reduce((sum, r) => sum + pick(r), 0)
  const worst = pick => Math.max(...each.map(pick))
  const statusCodes = {}
  for (const r of each) for (const [code, count] of Object.entries(r.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + count
  return {
    reqPerSec: total(r => r.reqPerSec),
    total: total(r => r.total),
    durationSec: worst(r => r.durationSec),
    latencyMs: {
      p50: worst(r => r.latencyMs.p50),
      p90: worst(r => r.latencyMs.p90),
      p99: worst(r => r.latencyMs.p99),
      max: worst(r => r.latencyMs.max),
      mean: total(r => r.latencyMs.mean * r.total) / Math.max(1, total(r => r.total))
    },
    non2xx: total(r => r.non2xx),
    errors: total(r => r.errors),
    timeouts: total(r => r.timeouts),
    resets: total(r => r.resets),
    statusCodes,
    // peaks of different moments: their sum bounds the deployment's peak from above
    rssPeakMiB: total(r => r.rssPeakMiB),
    rssAfterMiB: total(r => r.rssAfterMiB),
    hwmMiB: total(r => r.hwmMiB),
    perProcess: each
  }
}

/**
 * Loads a server, or the processes of one deployment at once (the connections split between
 * one autocannon instance per process), with a warm-up first (JIT, caches; not counted), then
 * the measured run while each server's RSS and everyone's CPU time are sampled. `kind` and
 * `size` choose the requests; `database` says a local PostgreSQL serves them.
 */
export async function measure (servers, { kind, size, connections, database = false }, { seconds, warmupSeconds }) {
  const list = [servers].flat()
  const shares = splitConnections(connections, list.length)
  const load = duration => {
    const counter = makeCounter()
    return Promise.all(list.map((server, i) => cannon({
      url: server.url, connections: shares[i], pipelining: 1, timeout: 10, duration, requests: requestsFor(kind, size, counter)
    })))
  }
  const settleAll = () => Promise.all(list.map(server => settle(server.settleUrl)))
  if (warmupSeconds > 0) {
    await load(warmupSeconds)
    await settleAll()
  }
  const stopSampling = list.map(server => sampleRss(server.pid))
  const stopCounting = countCpu(list.map(server => server.pid), { database })
  const results = await load(seconds)
  const cpu = stopCounting()
  const rssPeaks = stopSampling.map(stop => stop())
  await settleAll()
  const each = results.map((result, i) => {
    const memory = readMemory(list[i].pid)
    return { ...summarise(result), rssPeakMiB: rssPeaks[i], rssAfterMiB: memory?.rss, hwmMiB: memory?.hwm }
  })
  return { ...(each.length === 1 ? each[0] : combine(each)), cpu }
}
