import { timingSafeEqual } from 'node:crypto'
import { eventFrom, type AuditLog } from '../audit/audit-log.js'
import { createAuditHasher } from '../audit/chain.js'
import { classifyApiKey, generateApiKey, grantIntact, grantMac, hashApiKey, randomBase62 } from '../crypto/api-keys.js'
import type { Keyring } from '../crypto/keyring.js'
import { AppError, errors, StartupError } from '../errors.js'
import type { ApiKeyRecord, Store } from '../store/store.js'
import { parseDateTime } from './date-time.js'
import { hasScope, SCOPES, type Principal, type Scope } from './principal.js'

export type AuthFailure = 'malformed' | 'unknown' | 'revoked' | 'expired' | 'tampered'
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
  const record: ApiKeyRecord = {
    id: generated.id,
    name: input.name,
    hash: hashApiKey(keyring.pepper, generated.key),
    scopes: input.scopes,
    teams: input.teams,
    createdAt: now.toISOString(),
    expiresAt: input.expiresAt ?? null,
    lastUsedAt: null,
    revokedAt: null,
    createdBy: input.createdBy ?? null,
    grantMac: null
  }
  record.grantMac = grantMac(keyring.grantKey, record)
  return { key: generated.key, record }
}

/** Recorded, in the audit chain, by the one start that seals a database's key rows. */
const API_KEYS_SEALED = 'API_KEYS_SEALED'

/**
 * Upgrade of a database made before API key rows carried grant MACs: seals every row as it is
 * now, marks the keyring sealed and records API_KEYS_SEALED, in one transaction; from then on a
 * row without its MAC is refused. A sealed database whose check value says otherwise had it
 * written back from an older copy, so that tampered rows would be sealed as found: refused, and
 * undoing that needs the audit chain cut too. The warning names the upgrade for the operator.
 * @throws StartupError when the rows were sealed before
 */
export async function sealApiKeyGrants (store: Store, keyring: Keyring, log: { warn (obj: object, msg: string): void }): Promise<void> {
  const check = (await store.listKeyring()).find(record => record.purpose === 'check')
  /* c8 ignore next - unlockKeyring refuses a keyring without one */
  if (check === undefined) return
  // the upgrade's own audit entry is written before any request could set the hasher
  store.setAuditHasher(createAuditHasher(keyring.auditKey))
  const sealed = await store.sealApiKeyGrants({
    expectedCheck: check.wrapped,
    check: keyring.sealedGrantsCheck(new Date().toISOString()),
    seal: key => grantMac(keyring.grantKey, key),
    eventType: API_KEYS_SEALED,
    audit: count => eventFrom(undefined, API_KEYS_SEALED, { detail: `${count} API key rows sealed with a MAC of what they grant (first start after the upgrade)` })
  })
  if (sealed === 'sealed_before') {
    throw new StartupError('the keyring\'s check value says the API key rows are not sealed, but the audit log records that they were ' +
      `(${API_KEYS_SEALED}): the check value was written back from an older copy of the database. Restore the database from a backup made since, and run \`trove audit verify\``)
  }
  if (sealed !== 'sealed_elsewhere') {
    log.warn({ keys: sealed }, 'API key rows now carry a MAC of what they grant (first start after the upgrade that added it): ' +
      'a key whose row is changed outside Trove is refused from now on; the rows were taken as they stood')
  }
}

/** How often batched last-used times are written. */
const LAST_USED_FLUSH_MS = 10_000

/**
 * Resolves an API key to a principal. Keys are found by their keyed hash, so the database never
 * sees the key and the look-up reveals nothing an attacker could time. No positive cache: a
 * revoked key fails on the very next request. `last_used_at` is kept in memory and written in
 * one transaction every few seconds, so reads do not turn into disk writes.
 */
export function createApiKeyVerifier (deps: { store: Store, keyring: Keyring, now?: () => Date }) {
  const now = deps.now ?? (() => new Date())
  const lastUsed = new Map<string, string>()
  // records whose grant MAC was checked: a store that keeps its records (SQLite's, until the next
  // write to api_keys) hands the same object back, so its MAC is computed once, not per request
  const intact = new WeakSet<ApiKeyRecord>()
  let timer: NodeJS.Timeout | undefined

  async function flush (): Promise<void> {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    if (lastUsed.size === 0) return
    const batch = new Map(lastUsed)
    lastUsed.clear()
    await deps.store.touchApiKeys(batch)
  }

  async function verify (key: string): Promise<Verification> {
    if (key.length === 0 || key.length > 512 || classifyApiKey(key) === 'malformed') return { failure: 'malformed' }
    const hash = hashApiKey(deps.keyring.pepper, key)
    const record = await deps.store.findApiKeyByHash(hash)
    if (record === undefined || !timingSafeEqual(record.hash, hash)) return { failure: 'unknown' }
    if (!intact.has(record)) {
      // the row was changed outside Trove (or a restored copy lost its MAC): obey none of it
      if (!grantIntact(deps.keyring.grantKey, record)) return { failure: 'tampered', keyId: record.id }
      intact.add(record)
    }
    if (record.revokedAt !== null) return { failure: 'revoked', keyId: record.id }
    const at = now()
    if (record.expiresAt !== null && Date.parse(record.expiresAt) <= at.getTime()) return { failure: 'expired', keyId: record.id }
    lastUsed.set(record.id, at.toISOString())
    timer ??= setTimeout(() => { flush().catch(() => {}) }, LAST_USED_FLUSH_MS).unref()
    return { principal: { keyId: record.id, scopes: record.scopes, teams: record.teams, expiresAt: record.expiresAt } }
  }

  return { verify, flush, pendingLastUsed: (id: string) => lastUsed.get(id) }
}

export type ApiKeyVerifier = ReturnType<typeof createApiKeyVerifier>

export interface CreateKeyRequest {
  name: string
  scopes: string[]
  teams?: string[]
  expires_at?: string
}

/** Keys a caller may see and revoke: all for an unbound key, else keys bound within its teams. */
function visibleTo (principal: Principal, key: ApiKeyRecord): boolean {
  if (principal.teams === null) return true
  return key.teams !== null && key.teams.every(team => principal.teams!.includes(team))
}

export function createApiKeysService (deps: { store: Store, keyring: Keyring, audit: AuditLog, verifier: ApiKeyVerifier, now?: () => Date }) {
  const { store, keyring, verifier } = deps
  const now = deps.now ?? (() => new Date())

  return {
    toResponse (key: ApiKeyRecord) {
      return {
        id: key.id,
        name: key.name,
        scopes: key.scopes,
        teams: key.teams,
        created_at: key.createdAt,
        expires_at: key.expiresAt,
        last_used_at: verifier.pendingLastUsed(key.id) ?? key.lastUsedAt,
        revoked: key.revokedAt !== null,
        revoked_at: key.revokedAt,
        // what the row says may be what someone wrote into it: the list says so, as the verifier refuses it
        intact: !keyring.grantsSealed || grantIntact(keyring.grantKey, key)
      }
    },

    /** A key can grant only scopes and teams it holds itself. */
    async create (principal: Principal, input: CreateKeyRequest): Promise<{ record: ApiKeyRecord, key: string }> {
      const unknown = input.scopes.filter(scope => !(SCOPES as readonly string[]).includes(scope))
      if (unknown.length > 0) throw errors.invalidBody(`unknown scope${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')} (known: ${SCOPES.join(', ')})`)
      const beyond = input.scopes.filter(scope => !hasScope(principal.scopes, scope as Scope))
      if (beyond.length > 0) throw new AppError(403, 'scope_not_held', `this API key cannot grant scopes it does not hold: ${beyond.join(', ')}`)

      let teams: string[] | null = principal.teams === null ? null : [...principal.teams]
      if (input.teams !== undefined) {
        const known = new Set((await store.listTeams()).map(team => team.id))
        const missing = input.teams.filter(team => !known.has(team) || (principal.teams !== null && !principal.teams.includes(team)))
        if (missing.length > 0) throw errors.teamNotFound(missing.join(', '))
        teams = [...new Set(input.teams)]
      }

      // a key never outlives the key that made it: a temporary key cannot mint a lasting one
      let expiresAt: string | null = principal.expiresAt
      if (input.expires_at !== undefined) {
        const at = parseDateTime(input.expires_at)
        if (!Number.isFinite(at)) throw errors.invalidBody('expires_at must be an ISO 8601 date-time')
        if (at <= now().getTime()) throw errors.invalidBody('expires_at must be in the future')
        if (principal.expiresAt !== null && at > Date.parse(principal.expiresAt)) {
          throw new AppError(403, 'expiry_beyond_own', `this API key expires at ${principal.expiresAt}: it cannot create a key that expires later`)
        }
        expiresAt = new Date(at).toISOString()
      }

      const prepared = prepareApiKey(keyring, { name: input.name, scopes: [...new Set(input.scopes)], teams, expiresAt, createdBy: principal.keyId }, now())
      await store.insertApiKey(prepared.record, eventFrom(principal, 'KEY_CREATED', { detail: `key ${prepared.record.id} (${prepared.record.name}): ${prepared.record.scopes.join(' ')}` }, now()))
      return prepared
    },

    async list (principal: Principal): Promise<ApiKeyRecord[]> {
      return (await store.listApiKeys()).filter(key => visibleTo(principal, key))
    },

    async revoke (principal: Principal, id: string): Promise<ApiKeyRecord> {
      const existing = await store.findApiKeyById(id)
      if (existing === undefined || !visibleTo(principal, existing)) throw new AppError(404, 'key_not_found', `API key "${id}" not found`)
      const revoked = await store.revokeApiKey(id, now().toISOString(), key => grantMac(keyring.grantKey, key), eventFrom(principal, 'KEY_REVOKED', { detail: `key ${id} (${existing.name})` }, now()))
      /* c8 ignore next - the key was found just above */
      if (revoked === undefined) throw new AppError(404, 'key_not_found', `API key "${id}" not found`)
      return revoked
    }
  }
}

export type ApiKeysService = ReturnType<typeof createApiKeysService>
