import type { KeyringRecord } from '../crypto/keyring.js'

/**
 * The storage seam. Routes and services talk only to this interface, so a PostgreSQL store can
 * sit beside the SQLite one. Methods are async for that reason, even where SQLite answers at once.
 */
export interface TeamRecord {
  id: string
  name: string
  /** the integer a team's encryption key is derived with */
  kdfId: number
  createdAt: string
}

export interface SecretRecord {
  id: string
  teamId: string
  teamName: string
  teamKdfId: number
  name: string
  nameKey: string
  version: number
  createdAt: string
  updatedAt: string
}

export interface SecretVersionRecord {
  secretId: string
  version: number
  term: number
  blob: Buffer
  createdAt: string
  createdBy: string | null
}

export interface ApiKeyRecord {
  id: string
  name: string
  hash: Buffer
  scopes: string[]
  /** team ids the key may use; null means every team */
  teams: string[] | null
  createdAt: string
  expiresAt: string | null
  lastUsedAt: string | null
  revokedAt: string | null
  createdBy: string | null
}

export interface SealedValue {
  term: number
  blob: Buffer
}

export interface UpsertSecretInput {
  team: TeamRecord
  name: string
  nameKey: string
  /** id for the secret if it is new */
  newId: string
  now: string
  createdBy: string | null
  /** Seals the value for the version about to be written; called inside the write transaction. */
  seal: (secret: { id: string, version: number }) => SealedValue
}

export interface InitialState {
  keyring: KeyringRecord[]
  defaultTeam: TeamRecord
  adminKey?: ApiKeyRecord
}

export interface Store {
  listKeyring (): Promise<KeyringRecord[]>
  /** Writes the keyring, the default team and the first admin key in one transaction. */
  initialise (state: InitialState): Promise<void>
  insertApiKey (key: ApiKeyRecord): Promise<void>
  countApiKeys (): Promise<number>
  findApiKeyByHash (hash: Buffer): Promise<ApiKeyRecord | undefined>

  listTeams (): Promise<TeamRecord[]>
  findTeamById (id: string): Promise<TeamRecord | undefined>
  findTeamByName (name: string): Promise<TeamRecord | undefined>

  /** Secrets of the given teams, ordered by team then name; metadata only. */
  listSecrets (teamIds: readonly string[]): Promise<SecretRecord[]>
  findSecret (teamId: string, nameKey: string): Promise<SecretRecord | undefined>
  readVersion (secretId: string, version: number): Promise<SecretVersionRecord | undefined>
  /** Creates the secret or adds a version to it, atomically. */
  upsertSecret (input: UpsertSecretInput): Promise<SecretRecord>
  /** Removes the secret and every version of it; undefined if there was none. */
  deleteSecret (teamId: string, nameKey: string): Promise<SecretRecord | undefined>

  /** Answers when the database does. */
  ping (): Promise<void>
  close (): Promise<void>
}
