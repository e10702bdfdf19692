import { isIP } from 'node:net'
import { join } from 'node:path'
import { z } from 'zod'
import { StartupError } from './errors.js'

const wholeNumber = z.string().regex(/^\d+$/, 'must be a whole number').transform(Number)
const port = wholeNumber.pipe(z.number().max(65535, 'must be at most 65535'))

/** An IP address, or a range in CIDR notation, as Fastify's trustProxy takes them. */
function isAddressOrRange (entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/')
  const family = isIP(address)
  if (family === 0 || rest.length > 0) return false
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128))
}

/**
 * Narrowest prefix a proxy range may have: a wider one (0.0.0.0/1 and 128.0.0.0/1 together,
 * ::ffff:0:0/96 for every IPv4 peer) trusts nearly every peer, so nearly any client could forge
 * its address. 10.0.0.0/8 and fc00::/7 are the widest private ranges.
 */
const NARROWEST_PREFIX = { ipv4: 8, ipv6: 7, ipv4Mapped: 96 + 8 }

/** `true`, `*`, or a range wider than NARROWEST_PREFIX (0.0.0.0/0, ::/0 among them). */
function trustsEveryone (entry: string): boolean {
  if (/^(true|\*)$/i.test(entry)) return true
  if (!isAddressOrRange(entry) || !entry.includes('/')) return false
  const [address = '', prefix = ''] = entry.split('/')
  if (isIP(address) === 4) return Number(prefix) < NARROWEST_PREFIX.ipv4
  return Number(prefix) < (/^::ffff:/i.test(address) ? NARROWEST_PREFIX.ipv4Mapped : NARROWEST_PREFIX.ipv6)
}

/**
 * The reverse proxies whose X-Forwarded-For is believed. Never "everyone": a client could then
 * send any address and step around the failed-authentication limit and the audit log.
 */
const proxyList = z.string().transform((text, ctx) => {
  const entries = text.split(',').map(entry => entry.trim()).filter(entry => entry !== '')
  for (const entry of entries) {
    if (trustsEveryone(entry)) {
      ctx.addIssue({ code: 'custom', message: `must list the proxies' addresses (IPs or CIDR ranges, e.g. 127.0.0.1,10.0.0.0/8), not "${entry}": trusting (nearly) every peer would let any client forge its address` })
    } else if (!isAddressOrRange(entry)) {
      ctx.addIssue({ code: 'custom', message: `"${entry}" is not an IP address or CIDR range (list the proxies' addresses, comma-separated)` })
    }
  }
  return entries
})

/** Every setting Trove reads from the environment; nothing else reads process.env. */
const envSchema = z.object({
  TROVE_HOST: z.string().min(1).default('127.0.0.1'),
  TROVE_PORT: port.default(8080),
  TROVE_DATA_DIR: z.string().min(1).default('./data'),
  TROVE_DB: z.string().min(1).optional(),
  TROVE_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://').optional(),
  TROVE_DATABASE_QUERY_TIMEOUT_MS: wholeNumber.pipe(z.number().min(100, 'must be at least 100').max(600_000, 'must be at most 600000')).default(10_000),
  TROVE_MASTER_KEY_FILE: z.string().min(1).optional(),
  TROVE_MASTER_KEY: z.string().min(1).optional(),
  TROVE_BOOTSTRAP_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  TROVE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TROVE_MAX_VERSIONS: wholeNumber.pipe(z.number().min(1, 'must be at least 1').max(1000, 'must be at most 1000')).default(20),
  TROVE_RECOVERY_DAYS: wholeNumber.pipe(z.number().max(3650, 'must be at most 3650')).default(7),
  TROVE_RATE_LIMIT: wholeNumber.pipe(z.number().min(1, 'must be at least 1')).default(100),
  TROVE_AUTH_FAILURE_LIMIT: wholeNumber.pipe(z.number().min(1, 'must be at least 1')).default(30),
  TROVE_TRUST_PROXY: proxyList.optional(),
  TROVE_AUDIT_READS: z.enum(['true', 'false'], { error: 'must be true or false' }).transform(v => v === 'true').default(true),
  TROVE_TLS_CERT_FILE: z.string().min(1).optional(),
  TROVE_TLS_KEY_FILE: z.string().min(1).optional(),
  TROVE_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  TROVE_SHUTDOWN_TIMEOUT_MS: wholeNumber.pipe(z.number().min(100, 'must be at least 100')).default(10_000)
}).refine(e => (e.TROVE_TLS_CERT_FILE === undefined) === (e.TROVE_TLS_KEY_FILE === undefined), {
  message: 'TROVE_TLS_CERT_FILE and TROVE_TLS_KEY_FILE must be set together',
  path: ['TROVE_TLS_CERT_FILE']
})

export interface Config {
  host: string
  port: number
  dataDir: string
  /** a file path, or ':memory:' for a throw-away store */
  dbPath: string
  /** PostgreSQL connection URL; when set, the store is PostgreSQL and dbPath is unused */
  databaseUrl?: string
  /** PostgreSQL: how long one statement of a request may run, lock waits included, before it is 503 */
  databaseQueryTimeoutMs: number
  masterKeyFile?: string
  masterKey?: string
  bootstrapKey?: string
  logLevel: string
  maxVersions: number
  recoveryDays: number
  rateLimit: number
  authFailureLimit: number
  /** proxies (IPs, CIDR ranges) whose X-Forwarded-For gives the client address; none when unset */
  trustProxy?: string[]
  auditReads: boolean
  tls?: { certFile: string, keyFile: string }
  metricsToken?: string
  /** how long in-flight requests may take to finish on SIGTERM */
  shutdownTimeoutMs: number
}

/**
 * Parses and validates settings. Empty strings count as unset, as shells and compose files
 * often export `VAR=` for "no value".
 * @throws StartupError naming every bad variable
 */
export function loadConfig (env: Record<string, string | undefined> = process.env): Readonly<Config> {
  const present = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('TROVE_') && v !== ''))
  const parsed = envSchema.safeParse(present)
  if (!parsed.success) {
    const problems = parsed.error.issues.map(issue => `${issue.path.join('.')} ${issue.message}`)
    throw new StartupError(`invalid setting: ${problems.join('; ')}`)
  }
  const e = parsed.data
  return Object.freeze({
    host: e.TROVE_HOST,
    port: e.TROVE_PORT,
    dataDir: e.TROVE_DATA_DIR,
    dbPath: e.TROVE_DB ?? join(e.TROVE_DATA_DIR, 'trove.db'),
    databaseUrl: e.TROVE_DATABASE_URL,
    databaseQueryTimeoutMs: e.TROVE_DATABASE_QUERY_TIMEOUT_MS,
    masterKeyFile: e.TROVE_MASTER_KEY_FILE,
    masterKey: e.TROVE_MASTER_KEY,
    bootstrapKey: e.TROVE_BOOTSTRAP_KEY,
    logLevel: e.TROVE_LOG_LEVEL,
    maxVersions: e.TROVE_MAX_VERSIONS,
    recoveryDays: e.TROVE_RECOVERY_DAYS,
    rateLimit: e.TROVE_RATE_LIMIT,
    authFailureLimit: e.TROVE_AUTH_FAILURE_LIMIT,
    trustProxy: e.TROVE_TRUST_PROXY === undefined || e.TROVE_TRUST_PROXY.length === 0 ? undefined : e.TROVE_TRUST_PROXY,
    auditReads: e.TROVE_AUDIT_READS,
    tls: e.TROVE_TLS_CERT_FILE === undefined || e.TROVE_TLS_KEY_FILE === undefined
      ? undefined
      : { certFile: e.TROVE_TLS_CERT_FILE, keyFile: e.TROVE_TLS_KEY_FILE },
    metricsToken: e.TROVE_METRICS_TOKEN,
    shutdownTimeoutMs: e.TROVE_SHUTDOWN_TIMEOUT_MS
  })
}
