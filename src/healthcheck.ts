/**
 * The container's health check (Dockerfile HEALTHCHECK: `node dist/healthcheck.js`): exit 0 when
 * this machine's Trove answers GET /readyz with 200, else 1. It reads the server's own settings
 * (loadConfig), so it asks the address and port Trove listens on, over HTTPS when Trove serves
 * TLS. The certificate is not checked: the probe may talk to 127.0.0.1, which the certificate
 * need not name, and learns nothing but a status code.
 */
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { loadConfig, type Config } from './config.js'

const TIMEOUT_MS = 2500
/** addresses that mean "every interface": asked on loopback */
const ANY_ADDRESS = new Set(['0.0.0.0', '::', '[::]'])

function probe (config: Readonly<Config>): Promise<boolean> {
  const request = config.tls === undefined ? httpRequest : httpsRequest
  const host = ANY_ADDRESS.has(config.host) ? '127.0.0.1' : config.host
  return new Promise(resolve => {
    const req = request({ host, port: config.port, path: '/readyz', method: 'GET', timeout: TIMEOUT_MS, rejectUnauthorized: false }, res => {
      res.resume()
      resolve(res.statusCode === 200)
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(false))
    req.end()
  })
}

let healthy = false
try {
  healthy = await probe(loadConfig(process.env))
} catch {
  // settings the server itself would refuse: it is not running on them
}
process.exitCode = healthy ? 0 : 1
