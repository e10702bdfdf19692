import { statSync } from 'node:fs'
import { GENESIS_HASH, type AuditEvent, type AuditHasher } from '../../audit/chain.js'
import type { KeyringRecord } from '../../crypto/keyring.js'
import {
  prefixEnd, purgedAuditEvent, SECRET_COLUMNS_OWN_ROW, SECRET_FROM_OWN_ROW, secretValueSql, requireExpected, toAuditRow, upsertAuditEvent, upsertedSecret, toSealed, toSecret, toSecretValue, toTeam, toTrashed, toVersionInfo,
  type AuditLogRow, type SecretRow, type SecretValueRow, type VersionRow
} from '../rows.js'
import {
  VersionConflict,
  type ApiKeyGrantsUpgrade, type ApiKeyRecord, type ExpectedVersion, type InitialState, type SecretRecord, type SecretVersionRecord,
  type Store, type TeamRecord, type UpsertResult, type UpsertSecretInput
} from '../store.js'
import { openDatabase, type SqliteDatabase } from './db.js'
import { migrate } from './migrate.js'
import { createAuditQueries } from './audit-queries.js'
import { createReadCache } from './read-cache.js'

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
  grant_mac: Buffer | null
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
    createdBy: row.created_by,
    grantMac: row.grant_mac
  }
}

function fileBytes (path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}

/** how many secrets with a bad copy of their current value the integrity check names */
const STRAY_COPIES_NAMED = 20

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
    insertApiKey: db.prepare(`INSERT INTO api_keys (id, name, hash, scopes, teams, created_at, expires_at, last_used_at, revoked_at, created_by, grant_mac)
      VALUES (@id, @name, @hash, @scopes, @teams, @created_at, @expires_at, @last_used_at, @revoked_at, @created_by, @grant_mac)`),
    countApiKeys: db.prepare('SELECT count(*) AS n FROM api_keys').pluck(),
    apiKeyByHash: db.prepare('SELECT * FROM api_keys WHERE hash = ?'),
    insertKeyringRow: db.prepare('INSERT INTO keyring (purpose, term, state, wrapped, created_at) VALUES (?, ?, ?, ?, ?)'),
    secretsOfTeams: db.prepare(`SELECT ${SECRET_COLUMNS_OWN_ROW} FROM ${SECRET_FROM_OWN_ROW}
      WHERE t.id IN (SELECT value FROM json_each(?)) AND s.deleted_at IS NULL ORDER BY t.name, s.name_key`),
    secretsPage: db.prepare(`SELECT ${SECRET_COLUMNS_OWN_ROW} FROM ${SECRET_FROM_OWN_ROW}
      WHERE t.id = ? AND s.deleted_at IS NULL AND s.name_key > ? AND s.name_key >= ? AND s.name_key < ?
      ORDER BY s.name_key LIMIT ?`),
    secret: db.prepare(`SELECT ${SECRET_COLUMNS_OWN_ROW} FROM ${SECRET_FROM_OWN_ROW}
      WHERE t.id = ? AND s.name_key = ? AND s.deleted_at IS NULL`),
    secretsByKeys: db.prepare(`SELECT ${SECRET_COLUMNS_OWN_ROW} FROM ${SECRET_FROM_OWN_ROW}
      WHERE t.id = ? AND s.name_key IN (SELECT value FROM json_each(?)) AND s.deleted_at IS NULL`),
    secretWithVersion: db.prepare(secretValueSql(() => '?')).raw(),
    // the current value from the secret's own row (migration 0003): no join, two B-tree leaves
    // fewer than secretWithVersion, in the same row shape. Metadata reads (SECRET_FROM_OWN_ROW)
    // take the current fingerprint from there too.
    currentValue: db.prepare(`SELECT id, name, name_key, current_version, current_version, current_term, current_blob
      FROM secrets WHERE team_kdf_id = ? AND name_key = ? AND deleted_at IS NULL`).raw(),
    version: db.prepare('SELECT secret_id, version, term, blob, fingerprint, created_at, created_by FROM secret_versions WHERE secret_id = ? AND version = ?'),
    versions: db.prepare('SELECT version, fingerprint, created_at, created_by FROM secret_versions WHERE secret_id = ? ORDER BY version DESC'),
    insertSecret: db.prepare(`INSERT INTO secrets (id, team_kdf_id, name, name_key, current_version, current_term, current_blob, current_fingerprint, created_at, updated_at)
      VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?)`),
    bumpSecret: db.prepare('UPDATE secrets SET current_version = ?, current_term = ?, current_blob = ?, current_fingerprint = ?, updated_at = ? WHERE id = ?'),
    insertVersion: db.prepare('INSERT INTO secret_versions (secret_id, version, term, blob, fingerprint, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    pruneVersions: db.prepare('DELETE FROM secret_versions WHERE secret_id = ? AND version <= ?'),
    trash: db.prepare('UPDATE secrets SET deleted_at = ?, purge_at = ? WHERE id = ?'),
    trashOfTeams: db.prepare(`SELECT ${SECRET_COLUMNS_OWN_ROW} FROM ${SECRET_FROM_OWN_ROW}
      WHERE t.id IN (SELECT value FROM json_each(?)) AND s.deleted_at IS NOT NULL AND s.purge_at > ?
      ORDER BY s.deleted_at DESC, s.name_key`),
    latestTrashed: db.prepare(`SELECT s.id, s.name FROM secrets s JOIN teams t ON t.kdf_id = s.team_kdf_id
      WHERE t.id = ? AND s.name_key = ? AND s.deleted_at IS NOT NULL AND s.purge_at > ?
      ORDER BY s.deleted_at DESC LIMIT 1`),
    restore: db.prepare('UPDATE secrets SET deleted_at = NULL, purge_at = NULL, updated_at = ? WHERE id = ?'),
    destroyTrashed: db.prepare(`DELETE FROM secrets WHERE deleted_at IS NOT NULL AND name_key = ? AND purge_at > ?
      AND team_kdf_id = (SELECT kdf_id FROM teams WHERE id = ?)`),
    secretById: db.prepare(`SELECT ${SECRET_COLUMNS_OWN_ROW} FROM ${SECRET_FROM_OWN_ROW} WHERE s.id = ?`),
    ping: db.prepare('SELECT 1').pluck(),
    apiKeyById: db.prepare('SELECT * FROM api_keys WHERE id = ?'),
    apiKeys: db.prepare('SELECT * FROM api_keys ORDER BY created_at, id'),
    sealApiKey: db.prepare('UPDATE api_keys SET grant_mac = ? WHERE id = ?'),
    forceRevokeApiKey: db.prepare('UPDATE api_keys SET revoked_at = ?, grant_mac = ? WHERE id = ?'),
    checkValue: db.prepare("SELECT wrapped FROM keyring WHERE purpose = 'check' AND term = 0").pluck(),
    auditHasEvent: db.prepare('SELECT 1 FROM audit_log WHERE event_type = ? LIMIT 1').pluck(),
    replaceCheckValue: db.prepare("UPDATE keyring SET wrapped = ?, created_at = ? WHERE purpose = 'check' AND term = 0"),
    touchApiKey: db.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)'),
    teamInUse: db.prepare(`SELECT (SELECT count(*) FROM secrets WHERE team_kdf_id = @kdfId)
      + (SELECT count(*) FROM api_keys, json_each(api_keys.teams) WHERE api_keys.revoked_at IS NULL AND json_each.value = @id)`).pluck(),
    deleteTeam: db.prepare('DELETE FROM teams WHERE kdf_id = ?'),
    lastAudit: db.prepare('SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1'),
    insertAudit: db.prepare(`INSERT INTO audit_log (id, created_at, event_type, outcome, key_id, team_id, team_name, secret_name, client_ip, request_id, detail, prev_hash, hash)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    auditAfter: db.prepare('SELECT * FROM audit_log WHERE id > ? ORDER BY id LIMIT ?'),
    expiredTrash: db.prepare(`SELECT s.id, s.name, t.id AS team_id, t.name AS team_name FROM secrets s JOIN teams t ON t.kdf_id = s.team_kdf_id
      WHERE s.deleted_at IS NOT NULL AND s.purge_at <= ?`),
    deleteSecretById: db.prepare('DELETE FROM secrets WHERE id = ?'),
    secretCounts: db.prepare(`SELECT t.name AS team, count(s.id) FILTER (WHERE s.deleted_at IS NULL) AS live,
      count(s.id) FILTER (WHERE s.deleted_at IS NOT NULL) AS trashed
      FROM teams t LEFT JOIN secrets s ON s.team_kdf_id = t.kdf_id GROUP BY t.kdf_id ORDER BY t.name`),
    keyCounts: db.prepare(`SELECT coalesce(t.name, '*') AS team, count(*) AS count
      FROM api_keys k LEFT JOIN json_each(k.teams) j LEFT JOIN teams t ON t.id = j.value
      WHERE k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > ?) GROUP BY 1 ORDER BY 1`),
    auditCount: db.prepare('SELECT coalesce(max(id), 0) FROM audit_log').pluck(),
    pageBytes: db.prepare('SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()').pluck(),
    demoteDataKeys: db.prepare("UPDATE keyring SET state = 'decrypt-only' WHERE purpose = 'dek'"),
    outsideTerm: db.prepare(`SELECT v.secret_id, v.version, v.term, v.blob, t.id AS team_id, t.kdf_id AS team_kdf_id, s.name_key
      FROM secret_versions v JOIN secrets s ON s.id = v.secret_id JOIN teams t ON t.kdf_id = s.team_kdf_id
      WHERE v.term != ? LIMIT ?`),
    sealedAfter: db.prepare(`SELECT v.secret_id, v.version, v.term, v.blob, t.id AS team_id, t.kdf_id AS team_kdf_id, s.name_key
      FROM secret_versions v JOIN secrets s ON s.id = v.secret_id JOIN teams t ON t.kdf_id = s.team_kdf_id
      WHERE (v.secret_id, v.version) > (?, ?) ORDER BY v.secret_id, v.version LIMIT ?`),
    rewrap: db.prepare('UPDATE secret_versions SET term = ?, blob = ? WHERE secret_id = ? AND version = ? AND blob = ?'),
    rewrapCurrent: db.prepare('UPDATE secrets SET current_term = ?, current_blob = ? WHERE id = ? AND current_version = ? AND current_blob = ?'),
    termUsage: db.prepare('SELECT term, count(*) AS n FROM secret_versions GROUP BY term'),
    // the copies are counted too, though each changes with its version row: a data key is never
    // dropped while anything still needs it
    termCount: db.prepare('SELECT (SELECT count(*) FROM secret_versions WHERE term = @term) + (SELECT count(*) FROM secrets WHERE current_term = @term)').pluck(),
    // secrets whose copy of their current version differs from that version's row, or has none
    strayCopies: db.prepare(`SELECT s.id, s.current_version FROM secrets s
      LEFT JOIN secret_versions v ON v.secret_id = s.id AND v.version = s.current_version
      WHERE v.blob IS NULL OR v.blob != s.current_blob OR v.term != s.current_term OR v.fingerprint != s.current_fingerprint LIMIT ?`),
    deleteDataKey: db.prepare("DELETE FROM keyring WHERE purpose = 'dek' AND term = ? AND state != 'active'"),
    deleteKeyring: db.prepare('DELETE FROM keyring')
  }

  let hashAudit: AuditHasher | undefined

  /** Appends to the chain; call only inside a write transaction, so the previous hash cannot move. */
  function appendAudit (events: readonly AuditEvent[]): void {
    if (events.length === 0) return
    /* c8 ignore next - openTrove sets the hasher before anything can write */
    if (hashAudit === undefined) throw new Error('the audit hasher is not set')
    const last = sql.lastAudit.get() as { id: number, hash: Buffer } | undefined
    let id = last?.id ?? 0
    let prevHash = last?.hash ?? GENESIS_HASH
    for (const event of events) {
      id++
      const hash = hashAudit(id, event, prevHash)
      // positional: binding 13 named parameters costs more than the insert itself
      sql.insertAudit.run(id, event.createdAt, event.eventType, event.outcome, event.keyId, event.teamId, event.teamName,
        event.secretName, event.clientIp, event.requestId, event.detail, prevHash, hash)
      prevHash = hash
    }
  }

  function findSecret (teamId: string, nameKey: string): SecretRecord | undefined {
    const row = sql.secret.get(teamId, nameKey) as SecretRow | undefined
    return row === undefined ? undefined : toSecret(row)
  }

  const auditQueries = createAuditQueries(db)

  // Whole lists are read often (Baseten's GET /v1/secrets) and reused until anything changes.
  const reads = createReadCache(db, { maxEntries: 64 })
  const LIST_CACHE_MAX_SECRETS = 1000

  // Every request looks its key up. No other process can write the file (openDatabase holds it
  // exclusively) and every write to api_keys empties this map, so a revoked key can never be
  // served from it. Only keys that exist are kept (a flood of wrong keys cannot grow it), and at
  // most a bounded number.
  const apiKeysByHash = new Map<string, ApiKeyRecord>()
  const API_KEY_CACHE_LIMIT = 10_000

  function findApiKeyByHash (hash: Buffer): ApiKeyRecord | undefined {
    const cacheKey = hash.toString('base64')
    const cached = apiKeysByHash.get(cacheKey)
    if (cached !== undefined) return cached
    const row = sql.apiKeyByHash.get(hash) as ApiKeyRow | undefined
    if (row === undefined) return undefined
    const key = toApiKey(row)
    if (apiKeysByHash.size >= API_KEY_CACHE_LIMIT) apiKeysByHash.clear()
    apiKeysByHash.set(cacheKey, key)
    return key
  }

  function insertApiKey (key: ApiKeyRecord): void {
    apiKeysByHash.clear()
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
      created_by: key.createdBy,
      grant_mac: key.grantMac
    })
  }

  const initialise = db.transaction((state: InitialState): boolean => {
    if (sql.keyring.get() !== undefined) return false
    for (const r of state.keyring) sql.insertKeyring.run(r.purpose, r.term, r.state, r.wrapped, r.createdAt)
    sql.insertTeam.run(state.defaultTeam.id, state.defaultTeam.name, state.defaultTeam.createdAt)
    if (state.adminKey !== undefined) insertApiKey(state.adminKey)
    return true
  })

  function upsertOne (input: UpsertSecretInput): UpsertResult {
    const existing = findSecret(input.team.id, input.nameKey)
    requireExpected(input.expected, existing?.version ?? null)
    if (existing !== undefined && existing.fingerprint === input.fingerprint) {
      return { secret: existing, changed: false, created: false }
    }
    const id = existing?.id ?? input.newId
    const version = (existing?.version ?? 0) + 1
    const sealed = input.seal({ id, version })
    if (existing === undefined) {
      sql.insertSecret.run(id, input.team.kdfId, input.name, input.nameKey, sealed.term, sealed.blob, input.fingerprint, input.now, input.now)
    } else {
      sql.bumpSecret.run(version, sealed.term, sealed.blob, input.fingerprint, input.now, id)
    }
    sql.insertVersion.run(id, version, sealed.term, sealed.blob, input.fingerprint, input.now, input.createdBy)
    sql.pruneVersions.run(id, version - input.maxVersions)
    const event = upsertAuditEvent(input, existing, version)
    if (event !== undefined) appendAudit([event])
    return { secret: upsertedSecret(input, existing, id, version), changed: true, created: existing === undefined }
  }

  const upsertMany = db.transaction((inputs: readonly UpsertSecretInput[]) => inputs.map(upsertOne))

  /**
   * Group commit: upserts that arrive in the same turn of the event loop are written in one
   * transaction, so one fsync makes all of them durable. While a commit's fsync blocks the loop,
   * requests queue up in the sockets and form the next group, so the busier it gets the more each
   * fsync carries. Every caller is answered only after the group's commit, and each caller's
   * inputs are all or nothing: one caller's failure does not undo the others'.
   *
   * A group first runs without a savepoint per caller: each savepoint copies every page it touches
   * to a journal first, a third of an upsert's SQLite time (51 against 84 µs per upsert in groups
   * of 100). That is safe while no caller fails after writing. A version conflict is found before
   * a caller's first write and needs nothing undone; any other failure of a caller rolls the whole
   * group back, and it runs again with each caller in a savepoint of its own.
   */
  interface Pending {
    inputs: readonly UpsertSecretInput[]
    resolve: (results: UpsertResult[]) => void
    reject: (err: unknown) => void
  }
  type Outcome = { ok: UpsertResult[] } | { err: unknown }
  /** thrown out of an unguarded group: a caller failed after writing, so the group runs again guarded */
  class CallerFailed extends Error {}
  let group: Pending[] = []

  function upsertUnguarded (inputs: readonly UpsertSecretInput[]): Outcome {
    const results: UpsertResult[] = []
    for (const input of inputs) {
      try {
        results.push(upsertOne(input))
      } catch (err) {
        // upsertOne finds a conflict before writing: with nothing of this caller's written yet,
        // it is this caller's answer and the group goes on
        if (results.length === 0 && err instanceof VersionConflict) return { err }
        throw new CallerFailed('a caller failed after writing', { cause: err })
      }
    }
    return { ok: results }
  }
  const commitUnguarded = db.transaction((pending: readonly Pending[]): Outcome[] => pending.map(item => upsertUnguarded(item.inputs)))
  const commitGuarded = db.transaction((pending: readonly Pending[]): Outcome[] => pending.map(item => {
    try {
      return { ok: upsertMany(item.inputs) }
    } catch (err) {
      return { err }
    }
  }))

  function flushGroup (): void {
    const pending = group
    group = []
    let outcomes: Outcome[]
    try {
      try {
        outcomes = commitUnguarded.immediate(pending)
      } catch (err) {
        // a failed commit (a full disk) would only fail again: it is every caller's answer
        if (!(err instanceof CallerFailed)) throw err
        outcomes = commitGuarded.immediate(pending)
      }
    } catch (err) {
      for (const item of pending) item.reject(err)
      return
    }
    pending.forEach((item, i) => {
      const outcome = outcomes[i]!
      if ('ok' in outcome) item.resolve(outcome.ok)
      else item.reject(outcome.err)
    })
  }

  const trash = db.transaction((teamId: string, nameKey: string, at: { now: string, purgeAt: string, expected?: ExpectedVersion, audit?: AuditEvent }) => {
    const existing = findSecret(teamId, nameKey)
    requireExpected(at.expected, existing?.version ?? null)
    if (existing !== undefined) {
      sql.trash.run(at.now, at.purgeAt, existing.id)
      if (at.audit !== undefined) appendAudit([{ ...at.audit, secretName: existing.name }])
    }
    return existing
  })

  const restore = db.transaction((teamId: string, nameKey: string, now: string, audit?: AuditEvent): SecretRecord | 'conflict' | undefined => {
    const latest = sql.latestTrashed.get(teamId, nameKey, now) as { id: string, name: string } | undefined
    if (latest === undefined) return undefined
    if (findSecret(teamId, nameKey) !== undefined) return 'conflict'
    sql.restore.run(now, latest.id)
    if (audit !== undefined) appendAudit([{ ...audit, secretName: latest.name }])
    return toSecret(sql.secretById.get(latest.id) as SecretRow)
  })

  const destroy = db.transaction((teamId: string, nameKey: string, now: string, audit?: AuditEvent): string | undefined => {
    const latest = sql.latestTrashed.get(teamId, nameKey, now) as { name: string } | undefined
    if (latest !== undefined) {
      sql.destroyTrashed.run(nameKey, now, teamId)
      if (audit !== undefined) appendAudit([{ ...audit, secretName: latest.name }])
    }
    return latest?.name
  })

  const purge = db.transaction((now: string): number => {
    const expired = sql.expiredTrash.all(now) as { id: string, name: string, team_id: string, team_name: string }[]
    for (const secret of expired) sql.deleteSecretById.run(secret.id)
    appendAudit(expired.map(secret => purgedAuditEvent(now, secret)))
    return expired.length
  })

  const revoke = db.transaction((id: string, now: string, seal: (revoked: ApiKeyRecord) => Buffer, audit?: AuditEvent): ApiKeyRecord | undefined => {
    const row = sql.apiKeyById.get(id) as ApiKeyRow | undefined
    if (row === undefined) return undefined
    apiKeysByHash.clear()
    const stored = toApiKey(row)
    // revoked already, and intact: nothing to do. A revoked row changed outside Trove (its MAC
    // fails) is revoked again, now: resealed with a real revocation time, and recorded.
    if (row.revoked_at !== null && row.grant_mac !== null && row.grant_mac.equals(seal(stored))) return stored
    sql.forceRevokeApiKey.run(now, seal({ ...stored, revokedAt: now }), id)
    if (audit !== undefined) appendAudit([audit])
    return toApiKey(sql.apiKeyById.get(id) as ApiKeyRow)
  })

  const sealApiKeyGrants = db.transaction((upgrade: ApiKeyGrantsUpgrade): number | 'sealed_elsewhere' | 'sealed_before' => {
    const stored = sql.checkValue.get() as Buffer | undefined
    if (stored === undefined || !stored.equals(upgrade.expectedCheck)) return 'sealed_elsewhere'
    if (sql.auditHasEvent.get(upgrade.eventType) !== undefined) return 'sealed_before'
    apiKeysByHash.clear()
    const keys = (sql.apiKeys.all() as ApiKeyRow[]).map(toApiKey)
    for (const key of keys) sql.sealApiKey.run(upgrade.seal(key), key.id)
    sql.replaceCheckValue.run(upgrade.check.wrapped, upgrade.check.createdAt)
    appendAudit([upgrade.audit(keys.length)])
    return keys.length
  })

  const createTeam = db.transaction((team: { id: string, name: string, createdAt: string }, audit?: AuditEvent): TeamRecord | undefined => {
    if (sql.teamByName.get(team.name) !== undefined) return undefined
    sql.insertTeam.run(team.id, team.name, team.createdAt)
    if (audit !== undefined) appendAudit([{ ...audit, teamId: team.id, teamName: team.name }])
    return toTeam(sql.teamById.get(team.id) as Parameters<typeof toTeam>[0])
  })

  const deleteTeam = db.transaction((id: string, audit?: AuditEvent): TeamRecord | 'in_use' | undefined => {
    const row = sql.teamById.get(id) as Parameters<typeof toTeam>[0] | undefined
    if (row === undefined) return undefined
    if ((sql.teamInUse.get({ kdfId: row.kdf_id, id }) as number) > 0) return 'in_use'
    sql.deleteTeam.run(row.kdf_id)
    if (audit !== undefined) appendAudit([{ ...audit, teamId: row.id, teamName: row.name }])
    return toTeam(row)
  })

  return {
    async listKeyring () {
      const rows = sql.keyring.all() as { purpose: KeyringRecord['purpose'], term: number, state: KeyringRecord['state'], wrapped: Buffer, created_at: string }[]
      return rows.map(r => ({ purpose: r.purpose, term: r.term, state: r.state, wrapped: r.wrapped, createdAt: r.created_at }))
    },
    async initialise (state) { return initialise.immediate(state) },
    async insertApiKey (key, audit) {
      db.transaction(() => {
        insertApiKey(key)
        if (audit !== undefined) appendAudit([audit])
      }).immediate()
    },
    async findApiKeyById (id) {
      const row = sql.apiKeyById.get(id) as ApiKeyRow | undefined
      return row === undefined ? undefined : toApiKey(row)
    },
    async listApiKeys () { return (sql.apiKeys.all() as ApiKeyRow[]).map(toApiKey) },
    async revokeApiKey (id, now, seal, audit) { return revoke.immediate(id, now, seal, audit) },
    async sealApiKeyGrants (upgrade) { return sealApiKeyGrants.immediate(upgrade) },
    async touchApiKeys (lastUsed) {
      if (lastUsed.size === 0) return
      db.transaction(() => {
        apiKeysByHash.clear()
        for (const [id, at] of lastUsed) sql.touchApiKey.run(at, id, at)
      }).immediate()
    },
    async createTeam (team, audit) { return createTeam.immediate(team, audit) },
    async deleteTeam (id, audit) { return deleteTeam.immediate(id, audit) },
    setAuditHasher (hasher) { hashAudit = hasher },
    async appendAudit (events) { db.transaction(() => appendAudit(events)).immediate() },
    async listAudit (query) { return auditQueries.list(query) },
    async auditRows (afterId, limit) { return (sql.auditAfter.all(afterId, limit) as AuditLogRow[]).map(toAuditRow) },
    async countApiKeys () { return sql.countApiKeys.get() as number },
    async findApiKeyByHash (hash) { return findApiKeyByHash(hash) },
    async listTeams () {
      return reads.get('teams', () => (sql.teams.all() as Parameters<typeof toTeam>[0][]).map(toTeam))
    },
    async findTeamById (id) {
      const row = sql.teamById.get(id) as Parameters<typeof toTeam>[0] | undefined
      return row === undefined ? undefined : toTeam(row)
    },
    async findTeamByName (name) {
      const row = sql.teamByName.get(name) as Parameters<typeof toTeam>[0] | undefined
      return row === undefined ? undefined : toTeam(row)
    },
    async insertKeyring (records) {
      db.transaction(() => {
        for (const r of records) sql.insertKeyringRow.run(r.purpose, r.term, r.state, r.wrapped, r.createdAt)
      }).immediate()
    },
    async listSecrets (teamIds) {
      const teams = JSON.stringify(teamIds)
      return reads.get(`secrets:${teams}`, () => (sql.secretsOfTeams.all(teams) as SecretRow[]).map(toSecret),
        secrets => secrets.length <= LIST_CACHE_MAX_SECRETS)
    },
    async listSecretsPage (query) {
      const from = query.nameKeyPrefix ?? ''
      const rows = sql.secretsPage.all(query.teamId, query.afterNameKey ?? '', from, prefixEnd(from), query.limit) as SecretRow[]
      return rows.map(toSecret)
    },
    async findSecret (teamId, nameKey) { return findSecret(teamId, nameKey) },
    async findSecrets (teamId, nameKeys) {
      return (sql.secretsByKeys.all(teamId, JSON.stringify(nameKeys)) as SecretRow[]).map(toSecret)
    },
    async readVersion (secretId, version) {
      const row = sql.version.get(secretId, version) as VersionRow | undefined
      return row === undefined
        ? undefined
        : { ...toVersionInfo(row), secretId: row.secret_id, term: row.term, blob: row.blob } satisfies SecretVersionRecord
    },
    async findSecretWithVersion (teamKdfId, nameKey, version) {
      const row = (version === undefined ? sql.currentValue.get(teamKdfId, nameKey) : sql.secretWithVersion.get(version, teamKdfId, nameKey)) as SecretValueRow | undefined
      return row === undefined ? undefined : toSecretValue(row)
    },
    async listVersions (secretId) {
      return (sql.versions.all(secretId) as VersionRow[]).map(toVersionInfo)
    },
    upsertSecrets (inputs) {
      return new Promise((resolve, reject) => {
        if (group.length === 0) setImmediate(flushGroup)
        group.push({ inputs, resolve, reject })
      })
    },
    async trashSecret (teamId, nameKey, at) { return trash.immediate(teamId, nameKey, at) },
    async listTrash (teamIds, now) {
      return (sql.trashOfTeams.all(JSON.stringify(teamIds), now) as SecretRow[]).map(toTrashed)
    },
    async restoreSecret (teamId, nameKey, now, audit) { return restore.immediate(teamId, nameKey, now, audit) },
    async destroyTrashed (teamId, nameKey, now, audit) { return destroy.immediate(teamId, nameKey, now, audit) },
    async purgeExpired (now) { return purge.immediate(now) },
    async addDataKey (record, _kekCheck, audit) {
      db.transaction(() => {
        sql.demoteDataKeys.run()
        sql.insertKeyringRow.run(record.purpose, record.term, 'active', record.wrapped, record.createdAt)
        if (audit !== undefined) appendAudit([audit])
      }).immediate()
    },
    async versionsOutsideTerm (term, limit) {
      return (sql.outsideTerm.all(term, limit) as Parameters<typeof toSealed>[0][]).map(toSealed)
    },
    async sealedVersions (after, limit) {
      return (sql.sealedAfter.all(after?.secretId ?? '', after?.version ?? 0, limit) as Parameters<typeof toSealed>[0][]).map(toSealed)
    },
    async rewrapVersions (updates) {
      return db.transaction(() => {
        let changed = 0
        for (const u of updates) {
          const rewrapped = sql.rewrap.run(u.term, u.blob, u.secretId, u.version, u.oldBlob).changes
          // the secret's copy, when this is its current version
          if (rewrapped > 0) sql.rewrapCurrent.run(u.term, u.blob, u.secretId, u.version, u.oldBlob)
          changed += rewrapped
        }
        return changed
      }).immediate()
    },
    async termUsage () {
      return new Map((sql.termUsage.all() as { term: number, n: number }[]).map(row => [row.term, row.n]))
    },
    async retireDataKey (term) {
      return db.transaction(() => {
        if ((sql.termCount.get({ term }) as number) > 0) return false
        return sql.deleteDataKey.run(term).changes > 0
      }).immediate()
    },
    async replaceKeyring (records, audit) {
      db.transaction(() => {
        sql.deleteKeyring.run()
        for (const r of records) sql.insertKeyringRow.run(r.purpose, r.term, r.state, r.wrapped, r.createdAt)
        if (audit !== undefined) appendAudit([audit])
      }).immediate()
    },
    async backup (destination) {
      await db.backup(destination)
    },
    async checkIntegrity () {
      const rows = db.pragma('integrity_check') as { integrity_check: string }[]
      const problems = rows.map(row => row.integrity_check).filter(result => result !== 'ok')
      const strays = sql.strayCopies.all(STRAY_COPIES_NAMED) as { id: string, current_version: number }[]
      return [...problems, ...strays.map(s => `secret ${s.id}: its copy of version ${s.current_version} differs from that version's row`)]
    },
    async stats () {
      return {
        secretsByTeam: sql.secretCounts.all() as { team: string, live: number, trashed: number }[],
        keysByTeam: sql.keyCounts.all(new Date().toISOString()) as { team: string, count: number }[],
        auditEntries: sql.auditCount.get() as number,
        databaseBytes: path === ':memory:' ? (sql.pageBytes.get() as number) : fileBytes(path) + fileBytes(`${path}-wal`)
      }
    },
    async ping () { sql.ping.get() },
    async close () {
      if (!db.open) return
      // fold the WAL into the database so a stopped store is one file
      if (path !== ':memory:') db.pragma('wal_checkpoint(TRUNCATE)')
      db.close()
    }
  }
}
