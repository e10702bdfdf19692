/** Who is calling: resolved from the API key on every request. */
export interface Principal {
  keyId: string
  scopes: readonly string[]
  /** team ids the key may use; null means every team */
  teams: readonly string[] | null
  /** when the key stops working; null: never. Keys it creates expire by then too. */
  expiresAt: string | null
  /** for the audit log */
  requestId?: string
  clientIp?: string
}

export const SCOPES = [
  'secrets:list', 'secrets:read', 'secrets:write', 'secrets:delete', 'keys:manage', 'teams:manage', 'audit:read', 'admin'
] as const
export type Scope = typeof SCOPES[number]

/** `admin` holds every scope. */
export function hasScope (scopes: readonly string[], scope: Scope): boolean {
  return scopes.includes('admin') || scopes.includes(scope)
}
