import t from 'tap'
import { PENDING_LIMIT } from '../../src/http/metrics.js'
import { buildTestApp } from '../fixtures/app.js'

// prom-client loads on the first scrape or once PENDING_LIMIT observations wait for it; either
// way every request answered before is counted.

const countOf = (body: string, route: string): number =>
  Number(new RegExp(`^trove_http_request_duration_seconds_count\\{method="GET",route="${route}",status_code="200"\\} (\\d+)$`, 'm').exec(body)?.[1])

t.test('requests answered before the first scrape are all counted', async t => {
  const { call } = await buildTestApp(t)
  for (let i = 0; i < 3; i++) await call({ method: 'GET', url: '/healthz', key: null })
  const first = await call({ method: 'GET', url: '/metrics', key: null })
  t.equal(first.statusCode, 200)
  t.equal(countOf(first.body, '/healthz'), 3)
  await call({ method: 'GET', url: '/healthz', key: null })
  t.equal(countOf((await call({ method: 'GET', url: '/metrics', key: null })).body, '/healthz'), 4, 'and those after it')
})

t.test('past PENDING_LIMIT waiting observations prom-client loads without a scrape, and loses none', async t => {
  const { call } = await buildTestApp(t)
  const requests = PENDING_LIMIT + 5
  for (let i = 0; i < requests; i++) await call({ method: 'GET', url: '/healthz', key: null })
  const scraped = await call({ method: 'GET', url: '/metrics', key: null })
  t.equal(countOf(scraped.body, '/healthz'), requests)
  t.match(scraped.body, /^# TYPE trove_process_cpu_seconds_total counter$/m, 'with the process metrics')
})
