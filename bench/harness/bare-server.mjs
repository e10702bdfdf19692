// The framework's ceiling on this machine: a bare Fastify 5 route returning a small JSON with
// logging off, in its own process like Trove. `BARE_PORT=8081 node bench/harness/bare-server.mjs`
// The path carries a name, as Trove's do, so the load generator does the same work for both.
import Fastify from 'fastify'

const app = Fastify({ logger: false })
app.get('/bare/:name', async request => ({ name: request.params.name, ok: true }))
await app.listen({ host: '127.0.0.1', port: Number(process.env.BARE_PORT ?? 0) })
process.on('SIGTERM', () => app.close().then(() => process.exit(0)))
