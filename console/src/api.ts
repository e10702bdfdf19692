// The console's only way to the server: Trove's HTTP API on the same origin, with the API key
// from this tab's sessionStorage as a Bearer token.

import type { ApiKey, CreatedApiKey, Secret } from '../../src/api-shapes.js'

export type { ApiKey, CreatedApiKey, Secret }

export interface Team { id: string, name: string }

export interface SecretVersion {
  version: number
  created_at: string
  created_by: string | null
  current: boolean
  fingerprint: string
}

export interface TrashedSecret {
  id: string
  name: string
  team_name: string
  deleted_at: string
  purge_at: string
  version: number
  fingerprint: string
}

export interface AuditEntry {
  id: number
  created_at: string
  event_type: string
  outcome: string
  key_id: string | null
  team_id: string | null
  team_name: string | null
  secret_name: string | null
  client_ip: string | null
  request_id: string | null
  detail: string | null
}

export interface AuditPage { audit_logs: AuditEntry[], next_cursor: string | null }

export interface AuditVerification {
  valid: boolean
  entries: number
  first_invalid_id?: number
  head: { id: number, hash: string } | null
}

export interface AuditFilters {
  event_type?: string
  secret_name?: string
  key_id?: string
  since?: string
  until?: string
  cursor?: string
  limit?: number
}

export const SCOPES = [
  'secrets:list', 'secrets:read', 'secrets:write', 'secrets:delete',
  'keys:manage', 'teams:manage', 'audit:read', 'admin'
] as const

export const AUDIT_EVENT_TYPES = [
  'SECRET_UPDATED', 'SECRET_DELETED', 'SECRET_READ', 'SECRET_RESTORED', 'SECRET_DESTROYED',
  'SECRET_PURGED', 'KEY_CREATED', 'KEY_REVOKED', 'TEAM_CREATED', 'TEAM_DELETED',
  'KEYRING_ROTATED', 'KEYRING_REKEYED', 'BACKUP_DOWNLOADED', 'API_KEYS_SEALED', 'AUTH_FAILED', 'ACCESS_DENIED'
] as const

/** An answer other than 2xx, with the words of Trove's error body. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly body: Record<string, unknown>

  constructor (status: number, code: string, message: string, body: Record<string, unknown> = {}) {
    super(message)
    this.status = status
    this.code = code
    this.body = body
  }
}

/** What to show a person for any error a call can throw. */
export function messageOf (err: unknown): string {
  if (err instanceof ApiError) return err.message
  if (err instanceof TypeError) return 'The server cannot be reached. Check that Trove is running and try again.'
  return 'Something went wrong. Try again.'
}

const path = encodeURIComponent

export type Api = ReturnType<typeof createApi>

/**
 * The API calls the console makes. `onUnauthorized` hears of a 401 (the key was revoked or
 * expired during the session), so the console can sign out.
 */
export function createApi (key: string, onUnauthorized?: (err: ApiError) => void) {
  async function call<T> (method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const res = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
      redirect: 'error'
    })
    let data: unknown
    try {
      data = await res.json()
    } catch {
      data = undefined
    }
    if (!res.ok) {
      const fields = (data !== null && typeof data === 'object' ? data : {}) as Record<string, unknown>
      const message = typeof fields.message === 'string' ? fields.message : `The server answered ${res.status} ${res.statusText}.`
      const err = new ApiError(res.status, typeof fields.code === 'string' ? fields.code : 'http_error', message, fields)
      if (res.status === 401) onUnauthorized?.(err)
      throw err
    }
    return data as T
  }

  /** Team-scoped routes when a team is known, else the key's own team. */
  const secrets = (team: string): string => team === '' ? '/v1/secrets' : `/v1/teams/${path(team)}/secrets`
  const trash = (team: string): string => team === '' ? '/v1/trash' : `/v1/teams/${path(team)}/trash`
  const ifMatch = (version: number | undefined): Record<string, string> =>
    version === undefined ? {} : { 'if-match': `"${version}"` }

  return {
    teams: async () => (await call<{ teams: Team[] }>('GET', '/v1/teams')).teams,

    listSecrets: async (team: string) => (await call<{ secrets: Secret[] }>('GET', secrets(team))).secrets,
    getSecret: async (team: string, name: string) => await call<Secret>('GET', `${secrets(team)}/${path(name)}`),
    readValue: async (team: string, name: string) =>
      await call<{ name: string, value: string, version: number }>('GET', `${secrets(team)}/${path(name)}/value`),
    /** creates only: an existing name is 412 */
    createSecret: async (team: string, name: string, value: string) =>
      await call<Secret>('POST', secrets(team), { name, value }, { 'if-none-match': '*' }),
    /** replaces the value of the version given, 412 if the secret has moved on */
    updateSecret: async (team: string, name: string, value: string, version?: number) =>
      await call<Secret>('POST', secrets(team), { name, value }, ifMatch(version)),
    deleteSecret: async (team: string, name: string, version?: number) =>
      await call<{ name: string }>('DELETE', `${secrets(team)}/${path(name)}`, undefined, ifMatch(version)),
    versions: async (team: string, name: string) =>
      (await call<{ versions: SecretVersion[] }>('GET', `${secrets(team)}/${path(name)}/versions`)).versions,
    rollback: async (team: string, name: string, version: number, current?: number) =>
      await call<Secret>('POST', `${secrets(team)}/${path(name)}/rollback`, { version }, ifMatch(current)),

    listTrash: async (team: string) => (await call<{ secrets: TrashedSecret[] }>('GET', trash(team))).secrets,
    restore: async (team: string, name: string) => await call<Secret>('POST', `${trash(team)}/${path(name)}/restore`),

    listKeys: async () => (await call<{ api_keys: ApiKey[] }>('GET', '/v1/api_keys')).api_keys,
    createKey: async (request: { name: string, scopes: string[], teams?: string[], expires_at?: string }) =>
      await call<CreatedApiKey>('POST', '/v1/api_keys', request),
    revokeKey: async (id: string) => await call<ApiKey>('DELETE', `/v1/api_keys/${path(id)}`),

    auditLogs: async (filters: AuditFilters) => {
      const query = new URLSearchParams()
      for (const [name, value] of Object.entries(filters)) {
        if (value !== undefined && value !== '') query.set(name, String(value))
      }
      const search = query.toString()
      return await call<AuditPage>('GET', `/v1/audit_logs${search === '' ? '' : `?${search}`}`)
    },
    verifyAudit: async () => await call<AuditVerification>('GET', '/v1/audit_logs/verify')
  }
}
