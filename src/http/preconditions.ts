import type { FastifyRequest } from 'fastify'
import { AppError } from '../errors.js'
import type { ExpectedVersion } from '../store/store.js'

const VERSION_TAG = /^(?:(?:W\/)?"(\d{1,15})"|(\d{1,15}))$/

function invalid (header: string): AppError {
  return new AppError(400, 'invalid_precondition', `${header} must be a version number, its ETag ("3") or *`)
}

/**
 * Check-and-set from the request: `If-Match: "3"` (the ETag), `If-Match: 3` or `If-Match: *`;
 * `If-None-Match: *` where creating must not overwrite. Undefined when neither is sent.
 */
export function expectedVersion (request: FastifyRequest, options: { allowIfNoneMatch?: boolean } = {}): ExpectedVersion | undefined {
  const ifMatch = request.headers['if-match']
  const ifNoneMatch = request.headers['if-none-match']
  if (ifMatch !== undefined && ifNoneMatch !== undefined) {
    throw new AppError(400, 'invalid_precondition', 'send either If-Match or If-None-Match, not both')
  }
  if (ifNoneMatch !== undefined) {
    if (options.allowIfNoneMatch !== true) throw new AppError(400, 'invalid_precondition', 'If-None-Match is not taken here: it only guards creating a secret (upsert); use If-Match')
    if (ifNoneMatch.trim() !== '*') throw new AppError(400, 'invalid_precondition', 'If-None-Match accepts only *')
    return 'absent'
  }
  if (ifMatch === undefined) return undefined
  const text = ifMatch.trim()
  if (text === '*') return '*'
  const match = VERSION_TAG.exec(text)
  const digits = match?.[1] ?? match?.[2]
  const version = digits === undefined ? NaN : Number(digits)
  if (!Number.isSafeInteger(version) || version < 1) throw invalid('If-Match')
  return version
}

/** The ETag of a secret is its current version. */
export function etag (version: number): string {
  return `"${version}"`
}
