import type { AuditEvent, AuditHasher, AuditRow } from '../audit/chain.js'
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
  /** fingerprint of the current version's value */
  fingerprint: string
  createdAt: string
  updatedAt: string
}

export interface TrashedSecretRecord extends SecretRecord {
  deletedAt: string
  purgeAt: string
}

export interface VersionInfo {
  version: number
  fingerprint: string
  createdAt: string
  createdBy: string | null
}

export interface SecretVersionRecord extends VersionInfo {
  secretId: string
  term: number
  blob: Buffer
}

/** A live secret as reading its value needs it, and the ciphertext of the version asked for. */
export interface SecretValueLookup {
  secret: { id: string, name: string, nameKey: string, version: number }
  /** undefined when that version is not kept */
  version: { version: number, term: number, blob: Buffer } | undefined
}

/**
 * A check-and-set condition: the secret's current version must be this number, '*' (it must
 * exist) or 'absent' (it must not).
 */
export type ExpectedVersion = number | '*' | 'absent'

/** The secret has moved on from the version the caller expected (`expected`, the condition sent). */
export class VersionConflict extends Error {
  constructor (readonly current: number | null, readonly expected?: ExpectedVersion) {
    super(current === null ? 'the secret does not exist' : `the secret is at version ${current}`)
    this.name = 'VersionConflict'
  }
}

export interface PageQuery {
  teamId: string
  /** list name keys greater than this one */
  afterNameKey?: string
  /** list only name keys that start with this one */
  nameKeyPrefix?: string
  limit: number
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
  /** MAC over the row's other columns but lastUsedAt (crypto/api-keys.ts grantMac); null in a row not sealed yet */
  grantMac: Buffer | null
}

export interface ApiKeyGrantsUpgrade {
  expectedCheck: Buffer
  check: KeyringRecord
  seal: (key: ApiKeyRecord) => Buffer
  /** the event type the upgrade records, looked for first */
  eventType: string
  audit: (sealed: number) => AuditEvent
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
  /** keyed hash of the value; equal to the current one means nothing changes */
  fingerprint: string
  /** check-and-set condition, checked inside the write transaction */
  expected?: ExpectedVersion
  /** recorded in the same transaction when the value changes; the store adds the version */
  audit?: AuditEvent
  /** versions to keep; older ones are deleted */
  maxVersions: number
  /** Seals the value for the version about to be written; called inside the write transaction. */
  seal: (secret: { id: string, version: number }) => SealedValue
}

export interface UpsertResult {
  secret: SecretRecord
  /** false when the value equalled the current one and no version was made */
  changed: boolean
  created: boolean
}

export interface AuditQuery {
  /** newest first; entries with a smaller id than this */
  beforeId?: number
  since?: string
  until?: string
  eventType?: string
  secretName?: string
  keyId?: string
  /** only entries of these teams (null: every entry, team or not) */
  teamIds: readonly string[] | null
  limit: number
}

/** A stored ciphertext with what its additional data binds it to, for rotation and checks. */
export interface SealedVersionRow {
  secretId: string
  version: number
  term: number
  blob: Buffer
  teamId: string
  teamKdfId: number
  nameKey: string
}

export interface StoreStats {
  secretsByTeam: { team: string, live: number, trashed: number }[]
  /** live (unrevoked, unexpired) keys by team; keys for every team are counted under '*' */
  keysByTeam: { team: string, count: number }[]
  auditEntries: number
  databaseBytes: number
}

export interface InitialState {
  keyring: KeyringRecord[]
  defaultTeam: TeamRecord
  adminKey?: ApiKeyRecord
}

export interface Store {
  listKeyring (): Promise<KeyringRecord[]>
  /**
   * Writes the keyring, the default team and the first admin key in one transaction. False when
   * the store already had a keyring (another process sharing it set it up first): nothing is written.
   */
  initialise (state: InitialState): Promise<boolean>
  insertApiKey (key: ApiKeyRecord, audit?: AuditEvent): Promise<void>
  countApiKeys (): Promise<number>
  findApiKeyByHash (hash: Buffer): Promise<ApiKeyRecord | undefined>
  findApiKeyById (id: string): Promise<ApiKeyRecord | undefined>
  listApiKeys (): Promise<ApiKeyRecord[]>
  /**
   * Marks a key revoked, with the grant MAC `seal` gives for the revoked row (in the same
   * transaction); undefined when there is no such key.
   */
  revokeApiKey (id: string, now: string, seal: (revoked: ApiKeyRecord) => Buffer, audit?: AuditEvent): Promise<ApiKeyRecord | undefined>
  /**
   * Upgrade of a database whose key rows have no grant MACs: in one transaction, gives every key
   * row the MAC `seal` computes, replaces the keyring's check value `expectedCheck` with `check`
   * (which marks the keyring sealed) and records `audit(rows sealed)`. Writes nothing and answers
   * 'sealed_elsewhere' when the stored check value is no longer `expectedCheck` (another process
   * sharing the store did it first), or 'sealed_before' when the audit log already holds an event
   * of `audit`'s type (the rows were sealed once: the check value was written back from an older copy).
   */
  sealApiKeyGrants (upgrade: ApiKeyGrantsUpgrade): Promise<number | 'sealed_elsewhere' | 'sealed_before'>
  /** Writes batched last-used times in one transaction. */
  touchApiKeys (lastUsed: ReadonlyMap<string, string>): Promise<void>

  listTeams (): Promise<TeamRecord[]>
  findTeamById (id: string): Promise<TeamRecord | undefined>
  findTeamByName (name: string): Promise<TeamRecord | undefined>
  /** Creates a team; undefined when the name is taken. */
  createTeam (team: { id: string, name: string, createdAt: string }, audit?: AuditEvent): Promise<TeamRecord | undefined>
  /** Deletes an empty team; 'in_use' while it holds secrets (trash included) or live keys. */
  deleteTeam (id: string, audit?: AuditEvent): Promise<TeamRecord | 'in_use' | undefined>

  /** The audit hash is keyed from the keyring, which is unlocked after the store opens. */
  setAuditHasher (hasher: AuditHasher): void
  /** Appends events to the chain in one transaction (grouped reads and refusals). */
  appendAudit (events: readonly AuditEvent[]): Promise<void>
  listAudit (query: AuditQuery): Promise<AuditRow[]>
  /** Rows in id order after `afterId`, for walking the whole chain. */
  auditRows (afterId: number, limit: number): Promise<AuditRow[]>

  insertKeyring (records: readonly KeyringRecord[]): Promise<void>

  /** Live secrets of the given teams, ordered by team name then name key; metadata only. */
  listSecrets (teamIds: readonly string[]): Promise<SecretRecord[]>
  /** One page of one team's live secrets in name-key order; costs the page, not the total. */
  listSecretsPage (query: PageQuery): Promise<SecretRecord[]>
  findSecret (teamId: string, nameKey: string): Promise<SecretRecord | undefined>
  /** Live secrets of one team by name key, in one query. */
  findSecrets (teamId: string, nameKeys: readonly string[]): Promise<SecretRecord[]>
  readVersion (secretId: string, version: number): Promise<SecretVersionRecord | undefined>
  /**
   * A live secret of a team with the ciphertext of one of its versions (the current one when
   * `version` is undefined), in one query: a read of a value costs one round trip, not three.
   */
  findSecretWithVersion (teamKdfId: number, nameKey: string, version?: number): Promise<SecretValueLookup | undefined>
  /** Newest first. */
  listVersions (secretId: string): Promise<VersionInfo[]>
  /**
   * Creates secrets or adds versions to them, all in one transaction: every input is applied
   * or none is. Throws VersionConflict when a check-and-set condition fails.
   */
  upsertSecrets (inputs: readonly UpsertSecretInput[]): Promise<UpsertResult[]>
  /** Moves a live secret with all its versions to the trash; undefined if there was none. */
  trashSecret (teamId: string, nameKey: string, at: { now: string, purgeAt: string, expected?: ExpectedVersion, audit?: AuditEvent }): Promise<SecretRecord | undefined>
  /** Trashed secrets not yet due for purging, newest deletion first. */
  listTrash (teamIds: readonly string[], now: string): Promise<TrashedSecretRecord[]>
  /** Brings back the most recently deleted secret of that name; 'conflict' if the name is live again. */
  restoreSecret (teamId: string, nameKey: string, now: string, audit?: AuditEvent): Promise<SecretRecord | 'conflict' | undefined>
  /**
   * Destroys every trashed secret of that name still in its recovery window, versions and
   * ciphertexts included; the stored name of the newest, or undefined if there was none.
   */
  destroyTrashed (teamId: string, nameKey: string, now: string, audit?: AuditEvent): Promise<string | undefined>
  /** Destroys trashed secrets whose recovery window has passed, recording each; how many. */
  purgeExpired (now: string): Promise<number>

  /**
   * Rotation: stores a new active data key and demotes the others to decrypt-only, atomically.
   * A store shared by several processes refuses it with KeyringChanged when the keyring moved on
   * since the caller read it: a term at or above the record's is stored (another process rotated),
   * or the stored check value is not `kekCheck` (another process rekeyed, so the record is wrapped
   * under a master key that is gone).
   */
  addDataKey (record: KeyringRecord, kekCheck?: Buffer, audit?: AuditEvent): Promise<void>
  /** Up to `limit` stored versions sealed under any term but this one (trash included). */
  versionsOutsideTerm (term: number, limit: number): Promise<SealedVersionRow[]>
  /** Every stored version, in pages after (secretId, version), for checking a whole store. */
  sealedVersions (after: { secretId: string, version: number } | undefined, limit: number): Promise<SealedVersionRow[]>
  /**
   * Replaces ciphertexts in one transaction; a row that changed meanwhile is left alone. A shared
   * store refuses it with KeyringChanged unless every update is sealed under the stored active term.
   */
  rewrapVersions (updates: readonly { secretId: string, version: number, oldBlob: Buffer, term: number, blob: Buffer }[]): Promise<number>
  /** Stored versions per data-key term. */
  termUsage (): Promise<Map<number, number>>
  /**
   * Deletes a decrypt-only data key no stored version uses, checked in the transaction that
   * deletes it (and, in a shared store, with every write sealing under a term locked out until it
   * ends). True when no key of that term is left (also when another process retired it first);
   * false while a version still uses it or it is the active term.
   */
  retireDataKey (term: number): Promise<boolean>
  /**
   * Rekey: replaces every keyring row (rewrapped under a new master key) in one transaction. A
   * shared store refuses it with KeyringChanged when the stored rows are not the ones rewrapped
   * (another process rotated or retired a term meanwhile), so no data key is ever dropped.
   */
  replaceKeyring (records: readonly KeyringRecord[], audit?: AuditEvent): Promise<void>
  /** A consistent copy of the whole database in `destination`, taken while serving. */
  backup (destination: string): Promise<void>
  /** The database's own consistency check; empty when all is well. */
  checkIntegrity (): Promise<string[]>

  /** Counts for metrics: secrets (live and trashed) and live API keys by team, audit entries, bytes on disk. */
  stats (): Promise<StoreStats>

  /** Answers when the database does. */
  ping (): Promise<void>
  close (): Promise<void>
}
