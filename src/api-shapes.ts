/**
 * JSON answers of Trove's HTTP API as its clients read them (openapi.yaml is the contract).
 * Types only: the CLI and the web console import them, so one change to an answer is one
 * change here.
 */

/** Baseten's SecretV1, as the upserts, lists and restores answer it. */
export interface Secret {
  id: string
  name: string
  team_name: string
  created_at: string
  updated_at?: string
  version?: number
  fingerprint?: string
}

export interface ApiKey {
  id: string
  name: string
  scopes: string[]
  teams: string[] | null
  created_at: string
  expires_at: string | null
  last_used_at: string | null
  revoked: boolean
  revoked_at: string | null
  /** false when the stored row fails its MAC (changed outside Trove): the key is refused whatever the rest says */
  intact: boolean
}

/** A key as its creation answers it: the only time the key itself is shown. */
export interface CreatedApiKey extends ApiKey { key: string }
