import { createHmac, randomInt, timingSafeEqual } from 'node:crypto'
import { crc32 } from 'node:zlib'

/**
 * API key format, after GitHub's token format: a fixed prefix secret scanners can match, a public
 * id, 43 base62 characters (~256 bits) of secret and a CRC32 checksum that rejects typos without
 * touching the database: `trove_<id12>_<secret43><crc6>`.
 * @see https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/
 */
export const API_KEY_PREFIX = 'trove_'
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const ID_LENGTH = 12
const SECRET_LENGTH = 43
const CRC_LENGTH = 6
const API_KEY_PATTERN = new RegExp(`^${API_KEY_PREFIX}([0-9A-Za-z]{${ID_LENGTH}})_([0-9A-Za-z]{${SECRET_LENGTH + CRC_LENGTH}})$`)

/** Unbiased random base62 text (randomInt rejects out-of-range draws). */
export function randomBase62 (length: number): string {
  let out = ''
  for (let i = 0; i < length; i++) out += BASE62[randomInt(62)]
  return out
}

function checksum (text: string): string {
  let n = crc32(text)
  let out = ''
  for (let i = 0; i < CRC_LENGTH; i++) {
    out = BASE62[n % 62] + out
    n = Math.floor(n / 62)
  }
  return out
}

export interface GeneratedApiKey {
  id: string
  key: string
}

export function generateApiKey (): GeneratedApiKey {
  const id = randomBase62(ID_LENGTH)
  const body = `${API_KEY_PREFIX}${id}_${randomBase62(SECRET_LENGTH)}`
  return { id, key: body + checksum(body) }
}

/**
 * Tells a Trove-format key from other strings. A key that claims the prefix but fails the
 * pattern or checksum is 'malformed' and rejected without a database look-up; other strings
 * (such as a TROVE_BOOTSTRAP_KEY) are 'foreign' and looked up by hash like any key.
 */
export function classifyApiKey (key: string): 'trove' | 'malformed' | 'foreign' {
  if (!key.startsWith(API_KEY_PREFIX)) return 'foreign'
  if (!API_KEY_PATTERN.test(key)) return 'malformed'
  return checksum(key.slice(0, -CRC_LENGTH)) === key.slice(-CRC_LENGTH) ? 'trove' : 'malformed'
}

/**
 * A fast keyed hash is right for high-entropy random keys; the pepper lives in the keyring, so a
 * stolen database alone cannot test guesses.
 */
export function hashApiKey (pepper: Uint8Array, key: string): Buffer {
  return createHmac('sha256', pepper).update(key, 'utf8').digest()
}

/** Every column of an API key row but `last_used_at`, which is written in batches. */
export interface ApiKeyGrant {
  id: string
  name: string
  hash: Buffer
  scopes: readonly string[]
  teams: readonly string[] | null
  createdAt: string
  expiresAt: string | null
  revokedAt: string | null
  createdBy: string | null
}

/**
 * A MAC over what an API key row grants, so that a row edited outside Trove (wider scopes or
 * teams, a later or no expiry, a revocation cleared, another row's hash) is refused rather than
 * obeyed: values and audit entries are protected against row tampering, and so are keys.
 */
export function grantMac (grantKey: Uint8Array, key: ApiKeyGrant): Buffer {
  const fields = ['trove-api-key-grant-v1', key.id, key.name, key.hash.toString('base64'), key.scopes, key.teams,
    key.createdAt, key.expiresAt, key.revokedAt, key.createdBy]
  return createHmac('sha256', grantKey).update(JSON.stringify(fields), 'utf8').digest()
}

/** Whether a stored row's grant MAC matches its columns. */
export function grantIntact (grantKey: Uint8Array, key: ApiKeyGrant & { grantMac: Buffer | null }): boolean {
  const expected = grantMac(grantKey, key)
  return key.grantMac !== null && key.grantMac.length === expected.length && timingSafeEqual(key.grantMac, expected)
}
