import { randomBase62 } from '../crypto/api-keys.js'
import type { Cipher } from '../crypto/cipher.js'
import type { Keyring } from '../crypto/keyring.js'
import { AppError, errors } from '../errors.js'
import type { SecretRecord, SecretVersionRecord, Store, TeamRecord } from '../store/store.js'
import { secretNameKey, secretNameProblem } from './names.js'
import type { Principal } from './principal.js'

export const DEFAULT_TEAM_NAME = 'default'
export const MAX_VALUE_BYTES = 64 * 1024

export interface SecretsServiceDeps {
  store: Store
  cipher: Cipher
  keyring: Keyring
  now?: () => Date
}

/** Where a request points: a team id from the path, or the caller's primary team. */
export type TeamRef = string | undefined

/**
 * The additional data binds a ciphertext to its team, secret, name and version: a blob copied
 * onto any other row fails to open instead of serving another secret's value.
 */
function sealContext (teamId: string, secretId: string, nameKey: string, version: number): (string | number)[] {
  return ['secret', teamId, secretId, nameKey, version]
}

export function checkSecretName (name: string): string {
  const problem = secretNameProblem(name)
  if (problem !== undefined) throw errors.invalidName(problem)
  return name
}

export function createSecretsService (deps: SecretsServiceDeps) {
  const { store, cipher, keyring } = deps
  const now = deps.now ?? (() => new Date())

  function mayUse (principal: Principal, team: TeamRecord): boolean {
    return principal.teams === null || principal.teams.includes(team.id)
  }

  /**
   * A team the caller may not use answers exactly like one that does not exist, so keys cannot
   * probe for other teams.
   */
  async function resolveTeam (principal: Principal, teamRef: TeamRef): Promise<TeamRecord> {
    if (teamRef === undefined) {
      const primary = principal.teams === null
        ? await store.findTeamByName(DEFAULT_TEAM_NAME)
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

  async function find (principal: Principal, teamRef: TeamRef, name: string): Promise<SecretRecord> {
    checkSecretName(name)
    const team = await resolveTeam(principal, teamRef)
    const secret = await store.findSecret(team.id, secretNameKey(name))
    if (secret === undefined) throw errors.secretNotFound(name)
    return secret
  }

  function open (secret: SecretRecord, version: SecretVersionRecord): string {
    const plaintext = cipher.open(
      term => keyring.teamKey(term, secret.teamKdfId),
      sealContext(secret.teamId, secret.id, secret.nameKey, version.version),
      version.blob
    )
    return Buffer.from(plaintext).toString('utf8')
  }

  return {
    resolveTeam,
    visibleTeams,

    async upsert (principal: Principal, teamRef: TeamRef, name: string, value: string): Promise<SecretRecord> {
      checkSecretName(name)
      if (!value.isWellFormed()) throw errors.invalidBody('value must be valid Unicode text (it holds a lone surrogate)')
      const plaintext = Buffer.from(value, 'utf8')
      if (plaintext.length > MAX_VALUE_BYTES) throw errors.valueTooLarge(MAX_VALUE_BYTES)
      const team = await resolveTeam(principal, teamRef)
      const nameKey = secretNameKey(name)
      const term = keyring.activeTerm
      const key = keyring.teamKey(term, team.kdfId)
      /* c8 ignore next - the active term always has a key once the keyring is unlocked */
      if (key === undefined) throw new Error('no key for the active term')
      return await store.upsertSecret({
        team,
        name,
        nameKey,
        newId: randomBase62(12),
        now: now().toISOString(),
        createdBy: principal.keyId,
        seal: secret => ({ term, blob: cipher.seal(key, term, sealContext(team.id, secret.id, nameKey, secret.version), plaintext) })
      })
    },

    async list (principal: Principal, teamRef: TeamRef | 'all'): Promise<SecretRecord[]> {
      const teams = teamRef === 'all' ? await visibleTeams(principal) : [await resolveTeam(principal, teamRef)]
      return await store.listSecrets(teams.map(team => team.id))
    },

    get: find,

    async readValue (principal: Principal, teamRef: TeamRef, name: string): Promise<{ secret: SecretRecord, value: string }> {
      const secret = await find(principal, teamRef, name)
      const version = await store.readVersion(secret.id, secret.version)
      if (version === undefined) throw new AppError(500, 'integrity_error', 'the current version of a secret is missing')
      return { secret, value: open(secret, version) }
    },

    async delete (principal: Principal, teamRef: TeamRef, name: string): Promise<SecretRecord> {
      checkSecretName(name)
      const team = await resolveTeam(principal, teamRef)
      const deleted = await store.deleteSecret(team.id, secretNameKey(name))
      if (deleted === undefined) throw errors.secretNotFound(name)
      return deleted
    }
  }
}

export type SecretsService = ReturnType<typeof createSecretsService>
