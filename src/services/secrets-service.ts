import { eventFrom, type AuditLog } from '../audit/audit-log.js'
import { randomBase62 } from '../crypto/api-keys.js'
import type { Cipher } from '../crypto/cipher.js'
import { fingerprintValue } from '../crypto/fingerprint.js'
import type { Keyring } from '../crypto/keyring.js'
import { AppError, errors } from '../errors.js'
import {
  VersionConflict,
  type ExpectedVersion, type SecretRecord, type SecretVersionRecord, type Store, type TeamRecord,
  type TrashedSecretRecord, type UpsertResult, type UpsertSecretInput, type VersionInfo
} from '../store/store.js'
import { secretNameKey, secretNameProblem } from './names.js'
import type { Principal } from './principal.js'

export const DEFAULT_TEAM_NAME = 'default'
export const MAX_VALUE_BYTES = 64 * 1024
export const MAX_PAGE_SIZE = 1000

export interface SecretsServiceDeps {
  store: Store
  cipher: Cipher
  keyring: Keyring
  audit: AuditLog
  now?: () => Date
  /** versions kept per secret (TROVE_MAX_VERSIONS) */
  maxVersions?: number
  /** days a deleted secret can be restored (TROVE_RECOVERY_DAYS) */
  recoveryDays?: number
}

/** Where a request points: a team id from the path, or the caller's primary team. */
export type TeamRef = string | undefined

export interface PageRequest {
  limit: number
  cursor?: string
  prefix?: string
}

export interface Page {
  secrets: SecretRecord[]
  nextCursor: string | null
}

/**
 * The additional data binds a ciphertext to its team, secret, name and version: a blob copied
 * onto any other row fails to open instead of serving another secret's value.
 */
export function sealContext (teamId: string, secretId: string, nameKey: string, version: number): (string | number)[] {
  return ['secret', teamId, secretId, nameKey, version]
}

export function checkSecretName (name: string): string {
  const problem = secretNameProblem(name)
  if (problem !== undefined) throw errors.invalidName(problem)
  return name
}

/** Why a value cannot be stored, or undefined when it can. */
export function secretValueProblem (value: string): { status: 400 | 413, reason: string } | undefined {
  if (!value.isWellFormed()) return { status: 400, reason: 'value must be valid Unicode text (it holds a lone surrogate)' }
  if (Buffer.byteLength(value, 'utf8') > MAX_VALUE_BYTES) return { status: 413, reason: `the value is larger than ${MAX_VALUE_BYTES} bytes` }
  return undefined
}

function conflict (err: VersionConflict): AppError {
  const message = err.current === null
    ? 'the secret does not exist, so the If-Match condition fails'
    : err.expected === 'absent'
      ? `the secret exists (version ${err.current}), so the If-None-Match: * condition fails`
      : `the secret is at version ${err.current}, not the version in If-Match`
  return new AppError(412, 'version_mismatch', message, { details: { current_version: err.current } })
}

/** Opaque page cursors: the position after the last secret of a page. */
function encodeCursor (teamName: string, nameKey: string): string {
  return Buffer.from(JSON.stringify([teamName, nameKey])).toString('base64url')
}

function decodeCursor (cursor: string): [string, string] {
  try {
    const position: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    if (Array.isArray(position) && position.length === 2 && position.every(p => typeof p === 'string')) return position as [string, string]
  } catch {}
  throw new AppError(400, 'invalid_cursor', 'the cursor is not one this server gave out')
}

/** What opening a value and recording its read need to know of the secret (a SecretRecord has it). */
export type OpenableSecret = Pick<SecretRecord, 'id' | 'name' | 'nameKey' | 'version' | 'teamId' | 'teamName' | 'teamKdfId'>
type SealedVersion = Pick<SecretVersionRecord, 'version' | 'term' | 'blob'>

export function createSecretsService (deps: SecretsServiceDeps) {
  const { store, cipher, keyring, audit } = deps
  const now = deps.now ?? (() => new Date())
  const event = (principal: Principal, eventType: string, team: { id: string, name: string }, secretName: string, detail: string | null = null) =>
    eventFrom(principal, eventType, { teamId: team.id, teamName: team.name, secretName, detail }, now())
  const maxVersions = deps.maxVersions ?? 20
  const recoveryMs = (deps.recoveryDays ?? 7) * 24 * 60 * 60 * 1000

  function mayUse (principal: Principal, team: TeamRecord): boolean {
    return principal.teams === null || principal.teams.includes(team.id)
  }

  /**
   * A team the caller may not use answers exactly like one that does not exist, so keys cannot
   * probe for other teams.
   */
  // The default team can be neither deleted nor renamed, so once found it is the same for good.
  let defaultTeam: TeamRecord | undefined
  async function findDefaultTeam (): Promise<TeamRecord | undefined> {
    defaultTeam ??= await store.findTeamByName(DEFAULT_TEAM_NAME)
    return defaultTeam
  }

  async function resolveTeam (principal: Principal, teamRef: TeamRef): Promise<TeamRecord> {
    if (teamRef === undefined) {
      const primary = principal.teams === null
        ? await findDefaultTeam()
        : await store.findTeamById(principal.teams[0] ?? '')
      if (primary === undefined) throw new AppError(404, 'team_not_found', 'the API key has no primary team')
      return primary
    }
    const team = await store.findTeamById(teamRef)
    if (team === undefined || !mayUse(principal, team)) throw errors.teamNotFound(teamRef)
    return team
  }

  async function visibleTeams (principal: Principal): Promise<TeamRecord[]> {
    const teams = await store.listTeams()
    return teams.filter(team => mayUse(principal, team))
  }

  async function teamsOf (principal: Principal, teamRef: TeamRef | 'all'): Promise<TeamRecord[]> {
    return teamRef === 'all' ? await visibleTeams(principal) : [await resolveTeam(principal, teamRef)]
  }

  async function find (principal: Principal, teamRef: TeamRef, name: string): Promise<SecretRecord> {
    checkSecretName(name)
    const team = await resolveTeam(principal, teamRef)
    const secret = await store.findSecret(team.id, secretNameKey(name))
    if (secret === undefined) throw errors.secretNotFound(name)
    return secret
  }

  function open (secret: OpenableSecret, version: SealedVersion): string {
    const plaintext = cipher.open(
      term => keyring.teamKey(term, secret.teamKdfId),
      sealContext(secret.teamId, secret.id, secret.nameKey, version.version),
      version.blob
    )
    return Buffer.from(plaintext).toString('utf8')
  }

  function openVersion (secret: OpenableSecret, versionNumber: number, version: SealedVersion | undefined): string {
    if (version === undefined) {
      if (versionNumber === secret.version) throw new AppError(500, 'integrity_error', 'the current version of a secret is missing')
      throw new AppError(404, 'version_not_found', `secret "${secret.name}" has no version ${versionNumber} (only the newest ${maxVersions} are kept)`)
    }
    return open(secret, version)
  }

  async function readVersionValue (secret: SecretRecord, versionNumber: number): Promise<string> {
    return openVersion(secret, versionNumber, await store.readVersion(secret.id, versionNumber))
  }

  function recordRead (principal: Principal, secret: OpenableSecret, versionNumber: number, detail: string | null): void {
    audit.recordRead(event(principal, 'SECRET_READ', { id: secret.teamId, name: secret.teamName }, secret.name,
      detail ?? (versionNumber === secret.version ? null : `version ${versionNumber}`)))
  }

  /** Reads a value for a caller, recording the read (grouped, see audit-log.ts). */
  async function readFor (principal: Principal, secret: SecretRecord, versionNumber: number, detail: string | null = null): Promise<string> {
    const value = await readVersionValue(secret, versionNumber)
    recordRead(principal, secret, versionNumber, detail)
    return value
  }

  /** The write of one value, ready for the store; validation happens here, sealing in the transaction. */
  function prepareUpsert (principal: Principal, team: TeamRecord, name: string, value: string, expected?: ExpectedVersion, detail: string | null = null): UpsertSecretInput {
    checkSecretName(name)
    const problem = secretValueProblem(value)
    if (problem !== undefined) {
      throw problem.status === 413 ? errors.valueTooLarge(MAX_VALUE_BYTES) : errors.invalidBody(problem.reason)
    }
    const plaintext = Buffer.from(value, 'utf8')
    const nameKey = secretNameKey(name)
    return {
      team,
      name,
      nameKey,
      newId: randomBase62(12),
      now: now().toISOString(),
      createdBy: principal.keyId,
      fingerprint: fingerprintValue(keyring.fingerprintKey, plaintext),
      expected,
      maxVersions,
      audit: event(principal, 'SECRET_UPDATED', team, name, detail),
      // the term is read when sealing, in the write transaction: a write retried because another
      // process rotated meanwhile is sealed under the new term (see keyring-aware-store.ts)
      seal: secret => {
        const term = keyring.activeTerm
        const key = keyring.teamKey(term, team.kdfId)
        /* c8 ignore next - the active term always has a key once the keyring is unlocked */
        if (key === undefined) throw new Error('no key for the active term')
        return { term, blob: cipher.seal(key, term, sealContext(team.id, secret.id, nameKey, secret.version), plaintext) }
      }
    }
  }

  async function write (inputs: UpsertSecretInput[]): Promise<UpsertResult[]> {
    try {
      return await store.upsertSecrets(inputs)
    } catch (err) {
      if (err instanceof VersionConflict) throw conflict(err)
      throw err
    }
  }

  return {
    resolveTeam,
    visibleTeams,
    prepareUpsert,
    write,
    readFor,
    fingerprint: (value: string) => fingerprintValue(keyring.fingerprintKey, Buffer.from(value, 'utf8')),

    async upsert (principal: Principal, teamRef: TeamRef, name: string, value: string, expected?: ExpectedVersion): Promise<UpsertResult> {
      checkSecretName(name)
      const team = await resolveTeam(principal, teamRef)
      const [result] = await write([prepareUpsert(principal, team, name, value, expected)])
      return result!
    },

    async list (principal: Principal, teamRef: TeamRef | 'all'): Promise<SecretRecord[]> {
      const teams = await teamsOf(principal, teamRef)
      return await store.listSecrets(teams.map(team => team.id))
    },

    /**
     * One page in (team name, name key) order. Each team is read with an index range from the
     * cursor on, so a page costs the same however many secrets exist.
     */
    async listPage (principal: Principal, teamRef: TeamRef | 'all', request: PageRequest): Promise<Page> {
      const teams = (await teamsOf(principal, teamRef)).sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
      const [afterTeam, afterKey] = request.cursor === undefined ? ['', ''] : decodeCursor(request.cursor)
      const nameKeyPrefix = request.prefix === undefined ? undefined : secretNameKey(request.prefix)
      const secrets: SecretRecord[] = []
      for (const team of teams) {
        if (team.name < afterTeam) continue
        const wanted = request.limit + 1 - secrets.length
        const rows = await store.listSecretsPage({
          teamId: team.id,
          afterNameKey: team.name === afterTeam ? afterKey : undefined,
          nameKeyPrefix,
          limit: wanted
        })
        secrets.push(...rows)
        if (secrets.length > request.limit) break
      }
      const page = secrets.slice(0, request.limit)
      const last = page.at(-1)
      return {
        secrets: page,
        nextCursor: secrets.length > request.limit && last !== undefined ? encodeCursor(last.teamName, last.nameKey) : null
      }
    },

    get: find,

    async readValue (principal: Principal, teamRef: TeamRef, name: string, version?: number): Promise<{ secret: OpenableSecret, value: string }> {
      checkSecretName(name)
      const team = await resolveTeam(principal, teamRef)
      const found = await store.findSecretWithVersion(team.kdfId, secretNameKey(name), version)
      if (found === undefined) throw errors.secretNotFound(name)
      // written out, not spread: see the principal in http/authenticate.ts
      const { id, name: storedName, nameKey, version: current } = found.secret
      const secret = { id, name: storedName, nameKey, version: current, teamId: team.id, teamName: team.name, teamKdfId: team.kdfId }
      const versionNumber = version ?? secret.version
      const value = openVersion(secret, versionNumber, found.version)
      recordRead(principal, secret, versionNumber, null)
      return { secret, value }
    },

    async versions (principal: Principal, teamRef: TeamRef, name: string): Promise<{ secret: SecretRecord, versions: VersionInfo[] }> {
      const secret = await find(principal, teamRef, name)
      return { secret, versions: await store.listVersions(secret.id) }
    },

    /** A new version holding version N's value (none if that is already the current value). */
    async rollback (principal: Principal, teamRef: TeamRef, name: string, version: number, expected?: ExpectedVersion): Promise<UpsertResult> {
      const secret = await find(principal, teamRef, name)
      const value = await readVersionValue(secret, version)
      const team = await resolveTeam(principal, teamRef)
      const [result] = await write([prepareUpsert(principal, team, secret.name, value, expected, `rollback to version ${version}`)])
      return result!
    },

    /** Baseten's delete, made undoable: the secret goes to the trash for the recovery window. */
    async delete (principal: Principal, teamRef: TeamRef, name: string, expected?: ExpectedVersion): Promise<SecretRecord> {
      checkSecretName(name)
      const team = await resolveTeam(principal, teamRef)
      const at = now()
      let deleted: SecretRecord | undefined
      try {
        deleted = await store.trashSecret(team.id, secretNameKey(name), {
          now: at.toISOString(),
          purgeAt: new Date(at.getTime() + recoveryMs).toISOString(),
          expected,
          audit: event(principal, 'SECRET_DELETED', team, name)
        })
      } catch (err) {
        if (err instanceof VersionConflict) throw conflict(err)
        throw err
      }
      if (deleted === undefined) throw errors.secretNotFound(name)
      return deleted
    },

    /** Values of many secrets in one round trip; names resolve with the usual normalisation. */
    async resolve (principal: Principal, teamRef: TeamRef, names: readonly string[]): Promise<{ secrets: Record<string, string>, missing: string[] }> {
      for (const name of names) checkSecretName(name)
      const team = await resolveTeam(principal, teamRef)
      const found = new Map((await store.findSecrets(team.id, [...new Set(names.map(secretNameKey))])).map(s => [s.nameKey, s]))
      // no prototype: a secret may be named __proto__
      const secrets = Object.create(null) as Record<string, string>
      const missing: string[] = []
      for (const name of names) {
        const secret = found.get(secretNameKey(name))
        if (secret === undefined) {
          if (!missing.includes(name)) missing.push(name)
        } else {
          secrets[name] = await readFor(principal, secret, secret.version, 'resolve')
        }
      }
      return { secrets, missing }
    },

    async listTrash (principal: Principal, teamRef: TeamRef | 'all'): Promise<TrashedSecretRecord[]> {
      const teams = await teamsOf(principal, teamRef)
      return await store.listTrash(teams.map(team => team.id), now().toISOString())
    },

    async restore (principal: Principal, teamRef: TeamRef, name: string): Promise<SecretRecord> {
      checkSecretName(name)
      const team = await resolveTeam(principal, teamRef)
      const restored = await store.restoreSecret(team.id, secretNameKey(name), now().toISOString(), event(principal, 'SECRET_RESTORED', team, name))
      if (restored === undefined) throw new AppError(404, 'not_in_trash', `no deleted secret "${name}" can be restored`)
      if (restored === 'conflict') throw new AppError(409, 'name_in_use', `a secret named "${name}" exists again; delete or rename it before restoring`)
      return restored
    },

    /** Destroys the trashed secrets of that name now; answers the name they were stored under. */
    async destroy (principal: Principal, teamRef: TeamRef, name: string): Promise<string> {
      checkSecretName(name)
      const team = await resolveTeam(principal, teamRef)
      const destroyed = await store.destroyTrashed(team.id, secretNameKey(name), now().toISOString(), event(principal, 'SECRET_DESTROYED', team, name))
      if (destroyed === undefined) throw new AppError(404, 'not_in_trash', `no deleted secret "${name}" is in the trash`)
      return destroyed
    },

    async purgeExpired (): Promise<number> {
      return await store.purgeExpired(now().toISOString())
    }
  }
}

export type SecretsService = ReturnType<typeof createSecretsService>
