import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Counter, Histogram, Registry } from 'prom-client'
import { errorBody } from '../errors.js'
import type { Store } from '../store/store.js'

/** Observations kept while prom-client is not loaded; reaching this many loads it. */
export const PENDING_LIMIT = 1000

interface Metrics {
  registry: Registry
  requests: Histogram<'method' | 'route' | 'status_code'>
  /** one histogram child per method, route and status: labelling each observation anew shows in a profile */
  requestSeries: Map<string, { observe (seconds: number): void }>
  authFailures: Counter<'reason'>
}

type Observation =
  | { kind: 'request', method: string, route: string, status: string, seconds: number }
  | { kind: 'authFailure', reason: string }

async function createMetrics (store: Store): Promise<Metrics> {
  const { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } = await import('prom-client')
  const registry = new Registry()
  // prom-client's own names already start with process_ or nodejs_: trove_process_cpu_…, trove_nodejs_heap_…
  collectDefaultMetrics({ register: registry, prefix: 'trove_' })

  const requests = new Histogram({
    name: 'trove_http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status, with their latency',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry]
  })
  const authFailures = new Counter({
    name: 'trove_auth_failures_total',
    help: 'Requests refused for a missing, unknown, revoked or expired API key',
    labelNames: ['reason'] as const,
    registers: [registry]
  })
  // Gauges read the store when scraped, not on every request.
  registry.registerMetric(new Gauge({
    registers: [],
    name: 'trove_secrets',
    help: 'Secrets by team and state (live or trashed)',
    labelNames: ['team', 'state'],
    async collect () {
      this.reset()
      for (const row of (await store.stats()).secretsByTeam) {
        this.set({ team: row.team, state: 'live' }, row.live)
        this.set({ team: row.team, state: 'trashed' }, row.trashed)
      }
    }
  }))
  registry.registerMetric(new Gauge({
    registers: [],
    name: 'trove_api_keys',
    help: 'Live API keys by team ("*" for keys that hold every team)',
    labelNames: ['team'],
    async collect () {
      this.reset()
      for (const row of (await store.stats()).keysByTeam) this.set({ team: row.team }, row.count)
    }
  }))
  registry.registerMetric(new Gauge({
    registers: [],
    name: 'trove_database_bytes',
    help: 'Size of the database on disk, WAL included',
    async collect () { this.set((await store.stats()).databaseBytes) }
  }))
  registry.registerMetric(new Gauge({
    registers: [],
    name: 'trove_audit_entries',
    help: 'Length of the audit hash chain',
    async collect () { this.set((await store.stats()).auditEntries) }
  }))
  return { registry, requests, requestSeries: new Map(), authFailures }
}

function record (metrics: Metrics, observation: Observation): void {
  if (observation.kind === 'request') {
    const { method, route, status } = observation
    const key = `${method} ${status} ${route}`
    let series = metrics.requestSeries.get(key)
    if (series === undefined) {
      series = metrics.requests.labels(method, route, status)
      metrics.requestSeries.set(key, series)
    }
    series.observe(observation.seconds)
  } else {
    metrics.authFailures.inc({ reason: observation.reason })
  }
}

/**
 * GET /metrics in Prometheus text format: requests by route and status with latency histograms,
 * authentication failures, secrets and keys by team, database size and audit chain length. The
 * registry is per app, so several apps in one process (tests, createServer) do not collide.
 * With TROVE_METRICS_TOKEN set, the route needs `Authorization: Bearer <token>`.
 *
 * prom-client loads on the first scrape, or once PENDING_LIMIT observations wait for it, not at
 * start-up (issue 9, cold start). The observations made until then are kept and recorded when it
 * loads, so the counts are the same; the process metrics (event-loop lag, GC) start then.
 */
export async function metricsPlugin (app: FastifyInstance, options: { store: Store, token?: string }): Promise<void> {
  let metrics: Metrics | undefined
  let loading: Promise<Metrics> | undefined
  const pending: Observation[] = []
  const load = (): Promise<Metrics> => {
    loading ??= createMetrics(options.store).then(created => {
      for (const observation of pending) record(created, observation)
      pending.length = 0
      metrics = created
      return created
    }, (err: unknown) => {
      // the next scrape tries again; what waited is dropped rather than kept without bound
      loading = undefined
      pending.length = 0
      throw err
    })
    return loading
  }
  const observe = (observation: Observation): void => {
    if (metrics !== undefined) return record(metrics, observation)
    pending.push(observation)
    if (pending.length >= PENDING_LIMIT) {
      load().catch((err: unknown) => app.log.error({ err }, 'loading the metrics failed'))
    }
  }

  // a callback, not an async function: it runs on every request and a promise each time shows
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched'
    observe({ kind: 'request', method: request.method, route, status: String(reply.statusCode), seconds: reply.elapsedTime / 1000 })
    if (reply.statusCode === 401 && route !== '/metrics') observe({ kind: 'authFailure', reason: request.authFailure ?? 'missing_or_malformed' })
    done()
  })

  const token = options.token === undefined ? undefined : Buffer.from(`Bearer ${options.token}`)
  app.get('/metrics', { config: { operationId: 'metrics' } }, async (request, reply) => {
    if (token !== undefined) {
      const given = Buffer.from(request.headers.authorization ?? '')
      if (given.length !== token.length || !timingSafeEqual(given, token)) {
        return reply.code(401).header('www-authenticate', 'Bearer realm="trove-metrics"')
          .send(errorBody(401, 'invalid_metrics_token', 'the metrics token is missing or wrong'))
      }
    }
    const { registry } = await load()
    return reply.type(registry.contentType).send(await registry.metrics())
  })
}
