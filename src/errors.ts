import { STATUS_CODES } from 'node:http'

/**
 * An error a client may see. `code` is the stable, greppable part of the API; `message` is for
 * humans and never carries a secret value.
 */
export class AppError extends Error {
  readonly statusCode: number
  readonly code: string
  readonly headers: Record<string, string>
  /** extra fields for the body, such as `current_version` on a 412 */
  readonly details: Record<string, unknown>

  constructor (statusCode: number, code: string, message: string, options?: { cause?: unknown, headers?: Record<string, string>, details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'AppError'
    this.statusCode = statusCode
    this.code = code
    this.headers = options?.headers ?? {}
    this.details = options?.details ?? {}
  }
}

/** The body every error response has: Baseten's rate-limit `error`, Truss's `message`, the CLI's `code`. */
export interface ErrorBody {
  error: string
  message: string
  code: string
}

export function errorBody (statusCode: number, code: string, message: string): ErrorBody {
  return { error: STATUS_CODES[statusCode] ?? 'Error', message, code }
}

/** A stored ciphertext failed authentication: tampered, moved to another row, or the wrong key. */
export class IntegrityError extends AppError {
  constructor (message = 'a stored value failed its integrity check') {
    super(500, 'integrity_error', message)
    this.name = 'IntegrityError'
  }
}

/**
 * A keyring change met another one made meanwhile by a process sharing the store (a rotation or
 * a rekey): nothing was changed; reading the keyring again and retrying is safe.
 */
export class KeyringChanged extends AppError {
  constructor (message = 'the keyring was changed by another Trove process meanwhile; try again') {
    super(409, 'keyring_changed', message)
    this.name = 'KeyringChanged'
  }
}

/**
 * Another process sharing the store rekeyed it: this process's master key no longer unwraps the
 * stored keyring, so it cannot load data keys made since. It keeps serving with the keys it
 * holds; what needs a new one fails with this until it is restarted with the new master key.
 */
export class MasterKeyChanged extends AppError {
  constructor () {
    // Retry-After as for any 503: behind a load balancer another process may answer
    super(503, 'master_key_changed',
      'the keyring was rekeyed under a new master key by another Trove process: restart this process with the new master key',
      { headers: { 'retry-after': '1' } })
    this.name = 'MasterKeyChanged'
  }
}

/** Start-up problems: the process prints `message` as one line and exits non-zero. */
export class StartupError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'StartupError'
  }
}

export const errors = {
  invalidBody: (message: string) => new AppError(400, 'invalid_body', message),
  invalidJson: () => new AppError(400, 'invalid_json', 'the request body is not valid JSON'),
  notUtf8: (what: 'body' | 'file') => new AppError(400, 'invalid_body', `the ${what} is not valid UTF-8: values are text, stored as sent (encode binary values, e.g. as base64)`),
  invalidName: (message: string) => new AppError(400, 'invalid_name', message),
  missingApiKey: () => new AppError(401, 'missing_api_key',
    'an API key is required: send "Authorization: Bearer <key>" or "Authorization: Api-Key <key>"',
    { headers: { 'www-authenticate': 'Bearer realm="trove"' } }),
  invalidApiKey: (message = 'the API key is not valid') => new AppError(401, 'invalid_api_key', message,
    { headers: { 'www-authenticate': 'Bearer realm="trove", error="invalid_token"' } }),
  secretNotFound: (name: string) => new AppError(404, 'secret_not_found', `secret "${name}" not found`),
  teamNotFound: (teamId: string) => new AppError(404, 'team_not_found', `team "${teamId}" not found`),
  valueTooLarge: (limit: number) => new AppError(413, 'value_too_large', `the secret value is larger than ${limit} bytes`),
  unsupportedMediaType: () => new AppError(415, 'unsupported_media_type', 'the request body must be JSON')
}
