import { AppError } from '../../errors.js'

/** Socket errors that mean the database cannot be reached, not that a statement was wrong. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH',
  'EHOSTDOWN', 'ENETDOWN', 'ENOTFOUND', 'EAI_AGAIN'
])

/**
 * SQLSTATEs of a server that is going away or not there yet: 57P01 admin shutdown, 57P02 crash
 * shutdown, 57P03 cannot connect now (starting up, recovering), 53300 too many connections.
 * Class 08 (connection exceptions) is matched by its prefix.
 */
const SERVER_CODES = new Set(['57P01', '57P02', '57P03', '53300'])

/** What node-postgres says, without a code, when a connection dies or never comes. */
const DRIVER_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /connection error and is not queryable/,
  /^Client was closed and is not queryable/,
  /^Query read timeout/
]

/** Whether `err` says the database is away (as opposed to a statement it refused). */
export function isConnectionError (err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || SERVER_CODES.has(code) || code.startsWith('08'))) return true
  const message = (err as { message?: unknown }).message
  return typeof message === 'string' && DRIVER_MESSAGES.some(pattern => pattern.test(message))
}

/**
 * Whether `err` is a statement PostgreSQL cancelled (57014): here, one that ran past
 * statement_timeout (TROVE_DATABASE_QUERY_TIMEOUT_MS), usually waiting for a lock another
 * connection holds. The connection itself is fine.
 */
export function isTimeout (err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '57014'
}

/**
 * Failures a transaction may simply run again: 40001 serialization failure, 40P01 deadlock,
 * and 23505 unique violation, which here means another process inserted the same row first; the
 * next attempt reads that row and decides again (a team name taken, a secret that now exists).
 */
export function isRetryable (err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return code === '40001' || code === '40P01' || code === '23505'
}

/** How long a client is asked to wait before trying again while the database is away. */
export const RETRY_AFTER_SECONDS = 1

/**
 * The answer while PostgreSQL is away or too slow to answer in time (a statement past the query
 * timeout, a connection not had within the connection timeout): 503 with `storage_unavailable`
 * and Retry-After. A write answered this way was not acknowledged (if the connection broke during its commit it may still
 * have been stored; retrying an upsert of the same value then makes no new version). The
 * driver's message is not passed on: it can name hosts and users.
 */
export function storageUnavailable (cause: unknown): AppError {
  return new AppError(503, 'storage_unavailable', 'the database is unavailable; try again shortly', {
    cause,
    headers: { 'retry-after': String(RETRY_AFTER_SECONDS) }
  })
}

/** Connection errors and timeouts become the 503 above; everything else passes through unchanged. */
export function translate (err: unknown): unknown {
  return isConnectionError(err) || isTimeout(err) ? storageUnavailable(err) : err
}
