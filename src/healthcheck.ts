/**
 * The container's health check (Dockerfile HEALTHCHECK: `node dist/healthcheck.js`): exit 0 when
 * this machine's Trove answers GET /readyz with 200, else 1. It reads the server's own settings,
 * so it asks the port Trove listens on, and over HTTPS when Trove serves TLS. The certificate is
 * not checked: the probe talks to 127.0.0.1, which the certificate need not name, and learns
 * nothing but a status code.
 */
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'

const TIMEOUT_MS = 2500

function probe (env: NodeJS.ProcessEnv): Promise<boolean> {
  const tls = env.TROVE_TLS_CERT_FILE !== undefined && env.TROVE_TLS_CERT_FILE !== ''
  const port = Number(env.TROVE_PORT ?? '') || 8080
  const request = tls ? httpsRequest : httpRequest
  return new Promise(resolve => {
    const req = request({ host: '127.0.0.1', port, path: '/readyz', method: 'GET', timeout: TIMEOUT_MS, rejectUnauthorized: false }, res => {
      res.resume()
      resolve(res.statusCode === 200)
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(false))
    req.end()
  })
}

process.exitCode = await probe(process.env) ? 0 : 1
