import type { KeyringRecord } from '../../crypto/keyring.js'
import type {
  ApiKeyRecord, InitialState, SecretRecord, SecretVersionRecord, Store, TeamRecord, UpsertSecretInput
} from '../store.js'
import { openDatabase, type SqliteDatabase } from './db.js'
import { migrate } from './migrate.js'

interface SecretRow {
  id: string
  team_id: string
  team_name: string
  team_kdf_id: number
  name: string
  name_key: string
  current_version: number
  created_at: string
  updated_at: string
}

interface ApiKeyRow {
  id: string
  name: string
  hash: Buffer
  scopes: string
  teams: string | null
  created_at: string
  expires_at: string | null
  last_used_at: string | null
  revoked_at: string | null
  created_by: string | null
}

const SECRET_COLUMNS = `s.id, t.id AS team_id, t.name AS team_name, t.kdf_id AS team_kdf_id, s.name, s.name_key,
  s.current_version, s.created_at, s.updated_at`

function toSecret (row: SecretRow): SecretRecord {
  return {
    id: row.id,
    teamId: row.team_id,
    teamName: row.team_name,
    teamKdfId: row.team_kdf_id,
    name: row.name,
    nameKey: row.name_key,
    version: row.current_version,
    createdAt: row.created_at,
    updatedAt: row.updated_at
  }
}

function toApiKey (row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    hash: row.hash,
    scopes: JSON.parse(row.scopes) as string[],
    teams: row.teams === null ? null : JSON.parse(row.teams) as string[],
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
    createdBy: row.created_by
  }
}

function toTeam (row: { id: string, name: string, kdf_id: number, created_at: string }): TeamRecord {
  return { id: row.id, name: row.name, kdfId: row.kdf_id, createdAt: row.created_at }
}

/**
 * The embedded store. better-sqlite3 is synchronous, so each method does its work in one go and
 * write transactions never span an await (a transaction left open across ticks would commit early).
 */
export function createSqliteStore (path: string): Store {
  const db: SqliteDatabase = openDatabase(path)
  try {
    migrate(db)
  } catch (err) {
    db.close()
    throw err
  }

  // Prepared once: preparing per request is a measurable share of a read.
  const sql = {
    keyring: db.prepare('SELECT purpose, term, state, wrapped, created_at FROM keyring ORDER BY purpose, term'),
    insertKeyring: db.prepare('INSERT INTO keyring (purpose, term, state, wrapped, created_at) VALUES (?, ?, ?, ?, ?)'),
    insertTeam: db.prepare('INSERT INTO teams (id, name, created_at) VALUES (?, ?, ?)'),
    teams: db.prepare('SELECT kdf_id, id, name, created_at FROM teams ORDER BY name'),
    teamById: db.prepare('SELECT kdf_id, id, name, created_at FROM teams WHERE id = ?'),
    teamByName: db.prepare('SELECT kdf_id, id, name, created_at FROM teams WHERE name = ?'),
    insertApiKey: db.prepare(`INSERT INTO api_keys (id, name, hash, scopes, teams, created_at, expires_at, last_used_at, revoked_at, created_by)
      VALUES (@id, @name, @hash, @scopes, @teams, @created_at, @expires_at, @last_used_at, @revoked_at, @created_by)`),
    countApiKeys: db.prepare('SELECT count(*) AS n FROM api_keys').pluck(),
    apiKeyByHash: db.prepare('SELECT * FROM api_keys WHERE hash = ?'),
    secretsOfTeams: db.prepare(`SELECT ${SECRET_COLUMNS} FROM secrets s JOIN teams t ON t.kdf_id = s.team_kdf_id
      WHERE t.id IN (SELECT value FROM json_each(?)) ORDER BY t.name, s.name_key`),
    secret: db.prepare(`SELECT ${SECRET_COLUMNS} FROM secrets s JOIN teams t ON t.kdf_id = s.team_kdf_id
      WHERE t.id = ? AND s.name_key = ?`),
    version: db.prepare('SELECT secret_id, version, term, blob, created_at, created_by FROM secret_versions WHERE secret_id = ? AND version = ?'),
    insertSecret: db.prepare(`INSERT INTO secrets (id, team_kdf_id, name, name_key, current_version, created_at, updated_at)
      VALUES (?, ?, ?, ?, 1, ?, ?)`),
    bumpSecret: db.prepare('UPDATE secrets SET current_version = ?, updated_at = ? WHERE id = ?'),
    insertVersion: db.prepare('INSERT INTO secret_versions (secret_id, version, term, blob, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)'),
    deleteSecret: db.prepare('DELETE FROM secrets WHERE id = ?'),
    ping: db.prepare('SELECT 1').pluck()
  }

  function findSecret (teamId: string, nameKey: string): SecretRecord | undefined {
    const row = sql.secret.get(teamId, nameKey) as SecretRow | undefined
    return row === undefined ? undefined : toSecret(row)
  }

  function insertApiKey (key: ApiKeyRecord): void {
    sql.insertApiKey.run({
      id: key.id,
      name: key.name,
      hash: key.hash,
      scopes: JSON.stringify(key.scopes),
      teams: key.teams === null ? null : JSON.stringify(key.teams),
      created_at: key.createdAt,
      expires_at: key.expiresAt,
      last_used_at: key.lastUsedAt,
      revoked_at: key.revokedAt,
      created_by: key.createdBy
    })
  }

  const initialise = db.transaction((state: InitialState) => {
    for (const r of state.keyring) sql.insertKeyring.run(r.purpose, r.term, r.state, r.wrapped, r.createdAt)
    sql.insertTeam.run(state.defaultTeam.id, state.defaultTeam.name, state.defaultTeam.createdAt)
    if (state.adminKey !== undefined) insertApiKey(state.adminKey)
  })

  const upsert = db.transaction((input: UpsertSecretInput): SecretRecord => {
    const existing = findSecret(input.team.id, input.nameKey)
    const id = existing?.id ?? input.newId
    const version = (existing?.version ?? 0) + 1
    const sealed = input.seal({ id, version })
    if (existing === undefined) {
      sql.insertSecret.run(id, input.team.kdfId, input.name, input.nameKey, input.now, input.now)
    } else {
      sql.bumpSecret.run(version, input.now, id)
    }
    sql.insertVersion.run(id, version, sealed.term, sealed.blob, input.now, input.createdBy)
    return existing === undefined
      ? {
          id,
          teamId: input.team.id,
          teamName: input.team.name,
          teamKdfId: input.team.kdfId,
          name: input.name,
          nameKey: input.nameKey,
          version,
          createdAt: input.now,
          updatedAt: input.now
        }
      : { ...existing, version, updatedAt: input.now }
  })

  const remove = db.transaction((teamId: string, nameKey: string): SecretRecord | undefined => {
    const existing = findSecret(teamId, nameKey)
    if (existing !== undefined) sql.deleteSecret.run(existing.id)
    return existing
  })

  return {
    async listKeyring () {
      const rows = sql.keyring.all() as { purpose: KeyringRecord['purpose'], term: number, state: KeyringRecord['state'], wrapped: Buffer, created_at: string }[]
      return rows.map(r => ({ purpose: r.purpose, term: r.term, state: r.state, wrapped: r.wrapped, createdAt: r.created_at }))
    },
    async initialise (state) { initialise.immediate(state) },
    async insertApiKey (key) { insertApiKey(key) },
    async countApiKeys () { return sql.countApiKeys.get() as number },
    async findApiKeyByHash (hash) {
      const row = sql.apiKeyByHash.get(hash) as ApiKeyRow | undefined
      return row === undefined ? undefined : toApiKey(row)
    },
    async listTeams () {
      return (sql.teams.all() as Parameters<typeof toTeam>[0][]).map(toTeam)
    },
    async findTeamById (id) {
      const row = sql.teamById.get(id) as Parameters<typeof toTeam>[0] | undefined
      return row === undefined ? undefined : toTeam(row)
    },
    async findTeamByName (name) {
      const row = sql.teamByName.get(name) as Parameters<typeof toTeam>[0] | undefined
      return row === undefined ? undefined : toTeam(row)
    },
    async listSecrets (teamIds) {
      return (sql.secretsOfTeams.all(JSON.stringify(teamIds)) as SecretRow[]).map(toSecret)
    },
    async findSecret (teamId, nameKey) { return findSecret(teamId, nameKey) },
    async readVersion (secretId, version) {
      const row = sql.version.get(secretId, version) as
        { secret_id: string, version: number, term: number, blob: Buffer, created_at: string, created_by: string | null } | undefined
      return row === undefined
        ? undefined
        : { secretId: row.secret_id, version: row.version, term: row.term, blob: row.blob, createdAt: row.created_at, createdBy: row.created_by } satisfies SecretVersionRecord
    },
    async upsertSecret (input) { return upsert.immediate(input) },
    async deleteSecret (teamId, nameKey) { return remove.immediate(teamId, nameKey) },
    async ping () { sql.ping.get() },
    async close () {
      if (db.open) db.close()
    }
  }
}
