import type { AuditEvent, AuditRow } from '../audit/chain.js'
import {
  VersionConflict,
  type ExpectedVersion, type SealedVersionRow, type SecretRecord, type SecretValueLookup, type TeamRecord, type TrashedSecretRecord,
  type UpsertSecretInput, type VersionInfo
} from './store.js'

/**
 * Rows as both SQL stores read them, and their mapping to the records of the Store interface:
 * one definition, so the SQLite and PostgreSQL stores cannot drift apart.
 */
export interface SecretRow {
  id: string
  team_id: string
  team_name: string
  team_kdf_id: number
  name: string
  name_key: string
  current_version: number
  fingerprint: string
  created_at: string
  updated_at: string
  deleted_at: string | null
  purge_at: string | null
}

export interface VersionRow {
  secret_id: string
  version: number
  term: number
  blob: Buffer
  fingerprint: string
  created_at: string
  created_by: string | null
}

const secretColumns = (fingerprint: string): string => `s.id, t.id AS team_id, t.name AS team_name, t.kdf_id AS team_kdf_id,
  s.name, s.name_key, s.current_version, ${fingerprint} AS fingerprint, s.created_at, s.updated_at, s.deleted_at, s.purge_at`

/** A live or trashed secret with its team and current version's fingerprint: SecretRow. */
export const SECRET_COLUMNS = secretColumns('v.fingerprint')
export const SECRET_FROM = `secrets s JOIN teams t ON t.kdf_id = s.team_kdf_id
  JOIN secret_versions v ON v.secret_id = s.id AND v.version = s.current_version`

/**
 * The same rows where each secret's own row holds its current version's fingerprint (SQLite,
 * migration 0003), so only teams is joined.
 */
export const SECRET_COLUMNS_OWN_ROW = secretColumns('s.current_fingerprint')
export const SECRET_FROM_OWN_ROW = 'secrets s JOIN teams t ON t.kdf_id = s.team_kdf_id'

/**
 * Reading a value: the live secret's identity and current version, and the wanted version's
 * ciphertext (r_*: null when that version is not kept). Only what opening and naming it needs:
 * every column turned into a JavaScript value costs time on the hottest path.
 */
export function secretValueSql (param: (n: number) => string): string {
  return `SELECT s.id, s.name, s.name_key, s.current_version, r.version AS r_version, r.term AS r_term, r.blob AS r_blob
  FROM secrets s LEFT JOIN secret_versions r ON r.secret_id = s.id AND r.version = coalesce(${param(1)}, s.current_version)
  WHERE s.team_kdf_id = ${param(2)} AND s.name_key = ${param(3)} AND s.deleted_at IS NULL`
}

export type SecretValueRow = [id: string, name: string, nameKey: string, currentVersion: number, version: number | null, term: number | null, blob: Buffer | null]

export function toSecretValue ([id, name, nameKey, currentVersion, version, term, blob]: SecretValueRow): SecretValueLookup {
  return {
    secret: { id, name, nameKey, version: currentVersion },
    version: version === null ? undefined : { version, term: term!, blob: blob! }
  }
}

export interface AuditLogRow {
  id: number
  created_at: string
  event_type: string
  outcome: AuditEvent['outcome']
  key_id: string | null
  team_id: string | null
  team_name: string | null
  secret_name: string | null
  client_ip: string | null
  request_id: string | null
  detail: string | null
  prev_hash: Buffer
  hash: Buffer
}

export interface TeamRow { kdf_id: number, id: string, name: string, created_at: string }

export interface SealedRow { secret_id: string, version: number, term: number, blob: Buffer, team_id: string, team_kdf_id: number, name_key: string }

export function toSecret (row: SecretRow): SecretRecord {
  return {
    id: row.id,
    teamId: row.team_id,
    teamName: row.team_name,
    teamKdfId: row.team_kdf_id,
    name: row.name,
    nameKey: row.name_key,
    version: row.current_version,
    fingerprint: row.fingerprint,
    createdAt: row.created_at,
    updatedAt: row.updated_at
  }
}

/** The audit record of a trashed secret destroyed because its recovery window ended. */
export function purgedAuditEvent (now: string, secret: { name: string, team_id: string, team_name: string }): AuditEvent {
  return {
    createdAt: now,
    eventType: 'SECRET_PURGED',
    outcome: 'success',
    keyId: null,
    teamId: secret.team_id,
    teamName: secret.team_name,
    secretName: secret.name,
    clientIp: null,
    requestId: null,
    detail: 'recovery window ended'
  }
}

export function toTrashed (row: SecretRow): TrashedSecretRecord {
  return { ...toSecret(row), deletedAt: row.deleted_at ?? '', purgeAt: row.purge_at ?? '' }
}

export function toVersionInfo (row: Omit<VersionRow, 'secret_id' | 'term' | 'blob'>): VersionInfo {
  return { version: row.version, fingerprint: row.fingerprint, createdAt: row.created_at, createdBy: row.created_by }
}

export function toAuditRow (row: AuditLogRow): AuditRow {
  return {
    id: row.id,
    createdAt: row.created_at,
    eventType: row.event_type,
    outcome: row.outcome,
    keyId: row.key_id,
    teamId: row.team_id,
    teamName: row.team_name,
    secretName: row.secret_name,
    clientIp: row.client_ip,
    requestId: row.request_id,
    detail: row.detail,
    prevHash: row.prev_hash,
    hash: row.hash
  }
}

export function toTeam (row: TeamRow): TeamRecord {
  return { id: row.id, name: row.name, kdfId: row.kdf_id, createdAt: row.created_at }
}

export function toSealed (row: SealedRow): SealedVersionRow {
  return { secretId: row.secret_id, version: row.version, term: row.term, blob: row.blob, teamId: row.team_id, teamKdfId: row.team_kdf_id, nameKey: row.name_key }
}

/** Whether a check-and-set condition holds for a secret at `current` (null: no live secret). */
function satisfies (expected: ExpectedVersion | undefined, current: number | null): boolean {
  if (expected === undefined) return true
  if (expected === 'absent') return current === null
  if (expected === '*') return current !== null
  return current === expected
}

/** Throws VersionConflict, naming both sides, when a check-and-set condition does not hold. */
export function requireExpected (expected: ExpectedVersion | undefined, current: number | null): void {
  if (!satisfies(expected, current)) throw new VersionConflict(current, expected)
}

/** The smallest string greater than every string that starts with `prefix` (name keys are ASCII). */
export function prefixEnd (prefix: string): string {
  return prefix + '\u007f'
}

/** The record an upsert that wrote `version` answers with; `existing` is the secret before it. */
export function upsertedSecret (input: UpsertSecretInput, existing: SecretRecord | undefined, id: string, version: number): SecretRecord {
  // written out, not spread: a spread copy with properties added is promoted out of V8's young
  // generation (see the principal in http/authenticate.ts)
  if (existing !== undefined) {
    return {
      id: existing.id,
      teamId: existing.teamId,
      teamName: existing.teamName,
      teamKdfId: existing.teamKdfId,
      name: existing.name,
      nameKey: existing.nameKey,
      version,
      fingerprint: input.fingerprint,
      createdAt: existing.createdAt,
      updatedAt: input.now
    }
  }
  return {
    id,
    teamId: input.team.id,
    teamName: input.team.name,
    teamKdfId: input.team.kdfId,
    name: input.name,
    nameKey: input.nameKey,
    version,
    fingerprint: input.fingerprint,
    createdAt: input.now,
    updatedAt: input.now
  }
}

/** The audit record of an upsert that wrote `version`, if the caller asked for one. */
export function upsertAuditEvent (input: UpsertSecretInput, existing: SecretRecord | undefined, version: number): AuditEvent | undefined {
  if (input.audit === undefined) return undefined
  const what = `${existing === undefined ? 'created' : 'updated'}, version ${version}`
  return { ...input.audit, secretName: existing?.name ?? input.name, detail: input.audit.detail === null ? what : `${input.audit.detail}; ${what}` }
}
