import { timingSafeEqual } from 'node:crypto'
import { classifyApiKey, generateApiKey, hashApiKey, randomBase62 } from '../crypto/api-keys.js'
import type { Keyring } from '../crypto/keyring.js'
import type { ApiKeyRecord, Store } from '../store/store.js'
import type { Principal } from './principal.js'

export type AuthFailure = 'malformed' | 'unknown' | 'revoked' | 'expired'
export type Verification = { principal: Principal } | { failure: AuthFailure, keyId?: string }

export interface NewApiKey {
  name: string
  scopes: string[]
  teams: string[] | null
  expiresAt?: string | null
  createdBy?: string | null
  /** register this exact string instead of generating a key (TROVE_BOOTSTRAP_KEY, test rigs) */
  key?: string
}

/** Builds the stored record for a new key; the key itself is returned once and never stored. */
export function prepareApiKey (keyring: Keyring, input: NewApiKey, now: Date): { record: ApiKeyRecord, key: string } {
  const generated = input.key === undefined ? generateApiKey() : { id: randomBase62(12), key: input.key }
  return {
    key: generated.key,
    record: {
      id: generated.id,
      name: input.name,
      hash: hashApiKey(keyring.pepper, generated.key),
      scopes: input.scopes,
      teams: input.teams,
      createdAt: now.toISOString(),
      expiresAt: input.expiresAt ?? null,
      lastUsedAt: null,
      revokedAt: null,
      createdBy: input.createdBy ?? null
    }
  }
}

/**
 * Resolves an API key to a principal. Keys are found by their keyed hash, so the database never
 * sees the key and the look-up reveals nothing an attacker could time.
 */
export function createApiKeyVerifier (deps: { store: Store, keyring: Keyring, now?: () => Date }) {
  const now = deps.now ?? (() => new Date())
  return async function verifyApiKey (key: string): Promise<Verification> {
    if (key.length === 0 || key.length > 512 || classifyApiKey(key) === 'malformed') return { failure: 'malformed' }
    const hash = hashApiKey(deps.keyring.pepper, key)
    const record = await deps.store.findApiKeyByHash(hash)
    if (record === undefined || !timingSafeEqual(record.hash, hash)) return { failure: 'unknown' }
    if (record.revokedAt !== null) return { failure: 'revoked', keyId: record.id }
    if (record.expiresAt !== null && Date.parse(record.expiresAt) <= now().getTime()) return { failure: 'expired', keyId: record.id }
    return { principal: { keyId: record.id, scopes: record.scopes, teams: record.teams } }
  }
}

export type ApiKeyVerifier = ReturnType<typeof createApiKeyVerifier>
