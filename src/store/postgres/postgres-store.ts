import pg from 'pg'
import { GENESIS_HASH, type AuditEvent, type AuditHasher } from '../../audit/chain.js'
import type { KeyringRecord } from '../../crypto/keyring.js'
import { AppError, KeyringChanged, StartupError } from '../../errors.js'
import {
  prefixEnd, purgedAuditEvent, SECRET_COLUMNS, SECRET_FROM, secretValueSql, requireExpected, toAuditRow, upsertAuditEvent, upsertedSecret, toSealed,
  toSecret, toSecretValue, toTeam, toTrashed, toVersionInfo,
  type AuditLogRow, type SealedRow, type SecretRow, type SecretValueRow, type TeamRow, type VersionRow
} from '../rows.js'
import type {
  ApiKeyRecord, AuditQuery, SecretRecord, SecretVersionRecord, Store, UpsertResult, UpsertSecretInput
} from '../store.js'
import { isConnectionError, isRetryable, isTimeout, translate } from './errors.js'
import { LOCK_AUDIT_CHAIN, LOCK_CLASS, LOCK_KEYRING, LOCK_NAMES, nameLockKey } from './locks.js'
import { migratePostgres } from './migrate.js'

/** Only a client inside a transaction, or the pool for single statements. */
type Queryable = Pick<pg.PoolClient, 'query'>

interface ApiKeyRow {
  id: string
  name: string
  hash: Buffer
  /** jsonb, parsed by the driver */
  scopes: string[]
  teams: string[] | null
  created_at: string
  expires_at: string | null
  last_used_at: string | null
  revoked_at: string | null
  created_by: string | null
  grant_mac: Buffer | null
}

const SECRET_VALUE_SQL = secretValueSql(n => n === 1 ? '$1::integer' : `$${n}`)
const SEALED_COLUMNS = 'v.secret_id, v.version, v.term, v.blob, t.id AS team_id, t.kdf_id AS team_kdf_id, s.name_key'
const SEALED_FROM = 'secret_versions v JOIN secrets s ON s.id = v.secret_id JOIN teams t ON t.kdf_id = s.team_kdf_id'
const AUDIT_COLUMNS = 'id, created_at, event_type, outcome, key_id, team_id, team_name, secret_name, client_ip, request_id, detail, prev_hash, hash'
const LATEST_TRASHED = `SELECT s.id, s.name FROM secrets s JOIN teams t ON t.kdf_id = s.team_kdf_id
  WHERE t.id = $1 AND s.name_key = $2 AND s.deleted_at IS NOT NULL AND s.purge_at > $3
  ORDER BY s.deleted_at DESC LIMIT 1`

function toApiKey (row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    hash: row.hash,
    scopes: row.scopes,
    teams: row.teams,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
    createdBy: row.created_by,
    grantMac: row.grant_mac
  }
}

/**
 * bigint (count(*), audit ids) as a JS number rather than pg's default string: audit ids and
 * counts stay far below 2^53. Set on this pool only, never globally for other pg users.
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => oid === pg.types.builtins.INT8 && format !== 'binary'
    ? (value: string) => Number(value)
    : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser
}

/** Callers whose upserts share one transaction at most (group commit). */
const GROUP_LIMIT = 256

/** A failed transaction runs again this many times in all when it lost a race (see isRetryable). */
const MAX_ATTEMPTS = 5

export interface PostgresStoreOptions {
  /** connections in the pool (default 10) */
  poolSize?: number
  /** how long to wait for a connection before answering 503 (default 5000 ms) */
  connectTimeoutMs?: number
  /**
   * How long one statement of a request may run, lock waits included, before it is cancelled
   * and answered 503 (TROVE_DATABASE_QUERY_TIMEOUT_MS, default 10000 ms). Maintenance work
   * (migrations, rotation) is not bounded by it.
   */
  queryTimeoutMs?: number
}

export const DEFAULT_QUERY_TIMEOUT_MS = 10_000

/**
 * The driver's own deadline is this much later than the server's statement_timeout: a server
 * that is there cancels the statement first and the connection stays usable; the driver's
 * deadline only fires when nothing answers at all (a dead network), and that connection is
 * thrown away.
 */
const DRIVER_TIMEOUT_GRACE_MS = 1000

/** Connections for maintenance work that may take long: migrations, rotation's batches. */
const MAINTENANCE_POOL_SIZE = 2

/** Where the URL points, for messages: never the password. */
export function describeDatabaseUrl (url: string): string {
  try {
    const parsed = new URL(url)
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}${parsed.pathname}`
  } catch {
    return 'the database in TROVE_DATABASE_URL'
  }
}

/**
 * The shared store, for several Trove processes on one PostgreSQL database. The rules SQLite's
 * single writer gave for free are kept explicitly:
 * - writes of one secret name (upsert, delete, restore, destroy) take a transaction-scoped
 *   advisory lock on that name first and only then read the row, in a new statement and so a new
 *   READ COMMITTED snapshot: the second writer sees the first one's version, so no update is lost,
 *   check-and-set compares with what is really stored, and the (secret_id, version) primary key
 *   backs it up. Locks of one call are taken in key order, so two imports cannot deadlock.
 * - appends to the audit chain take one advisory lock, then read the head, then insert, all in
 *   the writing transaction: one chain, one head at a time, whichever process writes.
 * - every upsertSecrets call is all or nothing: its own transaction, or its own savepoint when
 *   calls arriving together share one (group commit, below).
 * - nothing is cached: a revoked key, a new team or a new version is seen by every process on
 *   its next request.
 * - a transaction that lost a race (unique violation, deadlock, serialization failure) runs
 *   again, and reads the winner's row.
 * - while the database is away every call fails with AppError 503 `storage_unavailable`; the
 *   pool reconnects by itself when it is back. So does a statement of a request that runs past
 *   the query timeout (waiting for a lock, a database too busy to answer in time).
 * - data keys may change under any process (another one rotated or rekeyed): every transaction
 *   that stores ciphertext holds the keyring lock shared and checks that each value is sealed
 *   under the stored active term (else KeyringChanged: the caller reloads its keyring and seals
 *   again), and the keyring changes take that lock exclusively and check what they change in the
 *   same transaction. So no value is ever stored under a term that is not active, and a term is
 *   retired only once no value uses it, whichever processes write meanwhile.
 * - maintenance work (migrations under their advisory lock, rotation's batches and keyring
 *   changes) runs on a small pool of its own without the query timeout: waiting for another
 *   process's migration, or re-encrypting a large batch, is not a failure.
 */
export async function createPostgresStore (url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  const queryTimeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS
  const poolOptions = {
    connectionString: url,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'trove',
    types
  }
  const pool = new pg.Pool({
    ...poolOptions,
    max: options.poolSize ?? 10,
    statement_timeout: queryTimeoutMs,
    query_timeout: queryTimeoutMs + DRIVER_TIMEOUT_GRACE_MS
  })
  const maintenancePool = new pg.Pool({ ...poolOptions, max: MAINTENANCE_POOL_SIZE })
  // An idle connection that dies (a restart, a network cut) is reported here; the pool drops it
  // and the next request opens a new one, or answers 503 while the database is away. Without a
  // listener the process would crash.
  pool.on('error', () => {})
  maintenancePool.on('error', () => {})
  const endPools = async (): Promise<void> => { await Promise.all([pool.end(), maintenancePool.end()]) }

  try {
    await migratePostgres(maintenancePool)
  } catch (err) {
    await endPools().catch(() => {})
    if (isConnectionError(err)) {
      throw new StartupError(`cannot reach PostgreSQL at ${describeDatabaseUrl(url)} (${(err as { code?: string }).code ?? (err as Error).message}): is it running? check TROVE_DATABASE_URL`)
    }
    if (err instanceof StartupError) throw err
    const code = (err as { code?: string }).code
    throw new StartupError(`PostgreSQL at ${describeDatabaseUrl(url)} refused to start Trove: ${(err as Error).message}${code === undefined ? '' : ` (${code})`}`)
  }

  let hashAudit: AuditHasher | undefined
  let ended = false

  /**
   * Every fixed statement is a named prepared statement: each connection parses and plans it once,
   * which is most of the server's work for the small queries Trove makes.
   */
  const statementNames = new Map<string, string>()
  function prepared (text: string, values?: unknown[]): pg.QueryConfig {
    let name = statementNames.get(text)
    if (name === undefined) {
      name = `trove_${statementNames.size + 1}`
      statementNames.set(text, name)
    }
    return { name, text, values }
  }

  /** One statement outside a transaction; `on` the maintenance pool for work the query timeout must not cut. */
  async function query<R extends pg.QueryResultRow> (text: string, values?: unknown[], on = pool): Promise<R[]> {
    try {
      return (await on.query<R>(prepared(text, values))).rows
    } catch (err) {
      throw translate(err)
    }
  }

  /** Rows as arrays, in column order (no object per row). */
  async function queryArrays<R extends unknown[]> (text: string, values: unknown[]): Promise<R[]> {
    try {
      return (await pool.query<R>({ ...prepared(text, values), rowMode: 'array' })).rows
    } catch (err) {
      throw translate(err)
    }
  }

  /** One statement inside a transaction. */
  async function exec<R extends pg.QueryResultRow> (q: Queryable, text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    return await q.query<R>(prepared(text, values))
  }

  async function rows<R extends pg.QueryResultRow> (q: Queryable, text: string, values?: unknown[]): Promise<R[]> {
    return (await exec<R>(q, text, values)).rows
  }

  /** A connection that breaks while checked out reports it here, and its query fails too. */
  const ignore = (): void => {}

  /**
   * Runs `fn` in a READ COMMITTED transaction on one connection. A lost race runs it again from
   * the start (so `fn` must not keep state across attempts); a broken connection is thrown away,
   * never handed out again, and the error becomes 503.
   */
  async function transaction<T> (fn: (q: Queryable) => Promise<T>, on = pool): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient
      try {
        client = await on.connect()
      } catch (err) {
        throw translate(err)
      }
      client.on('error', ignore)
      let broken = false
      try {
        await client.query('BEGIN')
        const result = await fn(client)
        await client.query('COMMIT')
        return result
      } catch (err) {
        if (isConnectionError(err)) broken = true
        else await client.query('ROLLBACK').catch(() => { broken = true })
        if (!broken && attempt < MAX_ATTEMPTS && isRetryable(err)) continue
        throw translate(err)
      } finally {
        client.off('error', ignore)
        client.release(broken)
      }
    }
  }

  /**
   * Takes the name locks of one write, in key order. A lock must be held before the row is read,
   * and the read must be a later statement: its snapshot then includes every write that held
   * the lock before.
   */
  async function lockNames (q: Queryable, names: readonly { teamId: string, nameKey: string }[]): Promise<void> {
    const keys = [...new Set(names.map(n => nameLockKey(n.teamId, n.nameKey)))].sort((a, b) => a - b)
    // a function scan yields the array in order, so the locks are taken in that order
    await exec(q, 'SELECT pg_advisory_xact_lock($1, k) FROM unnest($2::int4[]) AS u(k)', [LOCK_NAMES, keys])
  }

  /**
   * For a transaction that stores ciphertext: holds the keyring lock shared until it ends (after
   * any name locks, see locks.ts) and returns the stored active term, read in a later statement
   * so that it is the one in force while the lock is held.
   */
  async function lockActiveTerm (q: Queryable): Promise<number> {
    await exec(q, 'SELECT pg_advisory_xact_lock_shared($1, $2)', [LOCK_CLASS, LOCK_KEYRING])
    return (await rows<{ term: number }>(q, "SELECT max(term) AS term FROM keyring WHERE purpose = 'dek' AND state = 'active'"))[0]?.term ?? 0
  }

  /** For a keyring change: waits for the transactions storing ciphertext, and keeps new ones out until it ends. */
  async function lockKeyring (q: Queryable): Promise<void> {
    await exec(q, 'SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS, LOCK_KEYRING])
  }

  async function storedKeyring (q: Queryable): Promise<{ purpose: string, term: number, state: string, wrapped: Buffer }[]> {
    return await rows(q, 'SELECT purpose, term, state, wrapped FROM keyring ORDER BY purpose, term')
  }

  /** Appends to the chain inside the writing transaction; the lock is held until it commits. */
  async function appendAudit (q: Queryable, events: readonly AuditEvent[]): Promise<void> {
    if (events.length === 0) return
    /* c8 ignore next - openTrove sets the hasher before anything can write */
    if (hashAudit === undefined) throw new Error('the audit hasher is not set')
    await exec(q, 'SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS, LOCK_AUDIT_CHAIN])
    // a separate statement, so its snapshot is taken after the lock: the head is the real head
    const last = (await rows<{ id: number, hash: Buffer }>(q, 'SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1'))[0]
    let id = last?.id ?? 0
    let prevHash = last?.hash ?? GENESIS_HASH
    // one array per column, so one fixed statement inserts any number of rows
    const columns: unknown[][] = Array.from({ length: 13 }, () => [])
    for (const event of events) {
      id++
      const hash = hashAudit(id, event, prevHash)
      const row = [id, event.createdAt, event.eventType, event.outcome, event.keyId, event.teamId, event.teamName,
        event.secretName, event.clientIp, event.requestId, event.detail, prevHash, hash]
      row.forEach((value, i) => columns[i]!.push(value))
      prevHash = hash
    }
    await exec(q, `INSERT INTO audit_log (${AUDIT_COLUMNS}) SELECT * FROM unnest($1::int8[], $2::text[], $3::text[], $4::text[],
      $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::bytea[], $13::bytea[])`, columns)
  }

  async function findSecret (q: Queryable, teamId: string, nameKey: string): Promise<SecretRecord | undefined> {
    const row = (await rows<SecretRow>(q, `SELECT ${SECRET_COLUMNS} FROM ${SECRET_FROM}
      WHERE t.id = $1 AND s.name_key = $2 AND s.deleted_at IS NULL`, [teamId, nameKey]))[0]
    return row === undefined ? undefined : toSecret(row)
  }

  async function insertApiKey (q: Queryable, key: ApiKeyRecord): Promise<void> {
    await exec(q, `INSERT INTO api_keys (id, name, hash, scopes, teams, created_at, expires_at, last_used_at, revoked_at, created_by, grant_mac)
      VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7, $8, $9, $10, $11)`, [
      key.id, key.name, key.hash, JSON.stringify(key.scopes), key.teams === null ? null : JSON.stringify(key.teams),
      key.createdAt, key.expiresAt, key.lastUsedAt, key.revokedAt, key.createdBy, key.grantMac
    ])
  }

  async function insertKeyringRows (q: Queryable, records: readonly KeyringRecord[], onConflict = ''): Promise<void> {
    for (const r of records) {
      await exec(q, `INSERT INTO keyring (purpose, term, state, wrapped, created_at) VALUES ($1, $2, $3, $4, $5) ${onConflict}`,
        [r.purpose, r.term, r.state, r.wrapped, r.createdAt])
    }
  }

  /**
   * One input of upsertSecrets; its name is already locked, and so is the keyring (shared), with
   * `activeTerm` the stored active term. Audit events are collected for the end.
   */
  async function upsertOne (q: Queryable, input: UpsertSecretInput, events: AuditEvent[], activeTerm: number): Promise<UpsertResult> {
    const existing = await findSecret(q, input.team.id, input.nameKey)
    requireExpected(input.expected, existing?.version ?? null)
    if (existing !== undefined && existing.fingerprint === input.fingerprint) {
      return { secret: existing, changed: false, created: false }
    }
    const id = existing?.id ?? input.newId
    const version = (existing?.version ?? 0) + 1
    const sealed = input.seal({ id, version })
    // another process made a new term active since this one loaded its keyring
    if (sealed.term !== activeTerm) throw new KeyringChanged()
    const versionValues = [id, version, sealed.term, sealed.blob, input.fingerprint, input.now, input.createdBy]
    if (existing === undefined) {
      await exec(q, `WITH secret AS (
          INSERT INTO secrets (id, team_kdf_id, name, name_key, current_version, created_at, updated_at) VALUES ($1, $8, $9, $10, 1, $6, $6)
        )
        INSERT INTO secret_versions (secret_id, version, term, blob, fingerprint, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [...versionValues, input.team.kdfId, input.name, input.nameKey])
    } else {
      await exec(q, `WITH bump AS (
          UPDATE secrets SET current_version = $2, updated_at = $6 WHERE id = $1
        ), added AS (
          INSERT INTO secret_versions (secret_id, version, term, blob, fingerprint, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)
        )
        DELETE FROM secret_versions WHERE secret_id = $1 AND version <= $8`,
      [...versionValues, version - input.maxVersions])
    }
    const event = upsertAuditEvent(input, existing, version)
    if (event !== undefined) events.push(event)
    return { secret: upsertedSecret(input, existing, id, version), changed: true, created: existing === undefined }
  }

  /**
   * Group commit, as in the SQLite store: upserts that arrive while the previous group is being
   * written go out together in one transaction, so one commit (one WAL flush, one turn of the
   * audit chain's lock) carries all of them. Each caller's inputs run in their own savepoint, so
   * one caller's conflict does not undo the others; every caller is answered after the commit.
   * Every name of the group is locked first, in key order, so groups of two processes never
   * deadlock.
   */
  interface Pending {
    inputs: readonly UpsertSecretInput[]
    resolve: (results: UpsertResult[]) => void
    reject: (err: unknown) => void
  }
  const group: Pending[] = []
  let writingGroup = false

  function scheduleGroup (): void {
    if (writingGroup || group.length === 0) return
    writingGroup = true
    setImmediate(() => {
      const pending = group.splice(0, GROUP_LIMIT)
      writeGroup(pending).finally(() => {
        writingGroup = false
        scheduleGroup()
      })
    })
  }

  async function writeGroup (pending: readonly Pending[]): Promise<void> {
    type Outcome = { ok: UpsertResult[] } | { err: unknown }
    let outcomes: Outcome[]
    try {
      outcomes = await transaction(async q => {
        await lockNames(q, pending.flatMap(item => item.inputs.map(input => ({ teamId: input.team.id, nameKey: input.nameKey }))))
        const activeTerm = await lockActiveTerm(q)
        const events: AuditEvent[] = []
        const done: Outcome[] = []
        // one caller alone needs no savepoint: its failure rolls the whole transaction back
        const alone = pending.length === 1
        for (const item of pending) {
          if (!alone) await exec(q, 'SAVEPOINT caller')
          const mine: AuditEvent[] = []
          try {
            const results: UpsertResult[] = []
            for (const input of item.inputs) results.push(await upsertOne(q, input, mine, activeTerm))
            if (!alone) await exec(q, 'RELEASE SAVEPOINT caller')
            events.push(...mine)
            done.push({ ok: results })
          } catch (err) {
            // a stale keyring is every caller's (one process, one keyring): the group goes back whole
            if (alone || isConnectionError(err) || isTimeout(err) || isRetryable(err) || err instanceof KeyringChanged) throw err
            await exec(q, 'ROLLBACK TO SAVEPOINT caller')
            await exec(q, 'RELEASE SAVEPOINT caller')
            done.push({ err })
          }
        }
        // the chain's lock is taken last: name locks are never awaited while holding it
        await appendAudit(q, events)
        return done
      })
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

  return {
    async listKeyring () {
      const result = await query<{ purpose: KeyringRecord['purpose'], term: number, state: KeyringRecord['state'], wrapped: Buffer, created_at: string }>(
        'SELECT purpose, term, state, wrapped, created_at FROM keyring ORDER BY purpose, term')
      return result.map(r => ({ purpose: r.purpose, term: r.term, state: r.state, wrapped: r.wrapped, createdAt: r.created_at }))
    },
    async initialise (state) {
      return await transaction(async q => {
        // processes starting together on an empty database: the first one sets it up, the others
        // find it done and use its keyring
        await exec(q, 'LOCK TABLE keyring IN EXCLUSIVE MODE')
        if ((await rows(q, 'SELECT 1 FROM keyring LIMIT 1')).length > 0) return false
        await insertKeyringRows(q, state.keyring)
        await exec(q, 'INSERT INTO teams (id, name, created_at) VALUES ($1, $2, $3)', [state.defaultTeam.id, state.defaultTeam.name, state.defaultTeam.createdAt])
        if (state.adminKey !== undefined) await insertApiKey(q, state.adminKey)
        return true
      })
    },
    async insertApiKey (key, audit) {
      await transaction(async q => {
        await insertApiKey(q, key)
        if (audit !== undefined) await appendAudit(q, [audit])
      })
    },
    async countApiKeys () {
      return (await query<{ n: number }>('SELECT count(*) AS n FROM api_keys'))[0]?.n ?? 0
    },
    async findApiKeyByHash (hash) {
      const row = (await query<ApiKeyRow>('SELECT * FROM api_keys WHERE hash = $1', [hash]))[0]
      return row === undefined ? undefined : toApiKey(row)
    },
    async findApiKeyById (id) {
      const row = (await query<ApiKeyRow>('SELECT * FROM api_keys WHERE id = $1', [id]))[0]
      return row === undefined ? undefined : toApiKey(row)
    },
    async listApiKeys () {
      return (await query<ApiKeyRow>('SELECT * FROM api_keys ORDER BY created_at, id')).map(toApiKey)
    },
    async revokeApiKey (id, now, seal, audit) {
      return await transaction(async q => {
        // the row lock orders concurrent revokes: only the first one records it
        const row = (await rows<ApiKeyRow>(q, 'SELECT * FROM api_keys WHERE id = $1 FOR UPDATE', [id]))[0]
        if (row === undefined) return undefined
        const stored = toApiKey(row)
        // revoked already, and intact: nothing to do. A revoked row changed outside Trove (its
        // MAC fails) is revoked again, now: resealed with a real revocation time, and recorded.
        if (row.revoked_at !== null && row.grant_mac !== null && row.grant_mac.equals(seal(stored))) return stored
        const revoked = { ...stored, revokedAt: now }
        revoked.grantMac = seal(revoked)
        await exec(q, 'UPDATE api_keys SET revoked_at = $1, grant_mac = $2 WHERE id = $3', [now, revoked.grantMac, id])
        if (audit !== undefined) await appendAudit(q, [audit])
        return revoked
      })
    },
    async sealApiKeyGrants (upgrade) {
      return await transaction(async q => {
        // with the keyring lock, processes starting together seal once, and a rekey by another
        // process cannot swap the check value meanwhile
        await lockKeyring(q)
        const stored = (await rows<{ wrapped: Buffer }>(q, "SELECT wrapped FROM keyring WHERE purpose = 'check' AND term = 0 FOR UPDATE"))[0]
        if (stored === undefined || !stored.wrapped.equals(upgrade.expectedCheck)) return 'sealed_elsewhere' as const
        if ((await rows(q, 'SELECT 1 FROM audit_log WHERE event_type = $1 LIMIT 1', [upgrade.eventType])).length > 0) return 'sealed_before' as const
        const keys = (await rows<ApiKeyRow>(q, 'SELECT * FROM api_keys ORDER BY id FOR UPDATE')).map(toApiKey)
        const macs = keys.map(key => upgrade.seal(key))
        await exec(q, 'UPDATE api_keys k SET grant_mac = u.mac FROM unnest($1::text[], $2::bytea[]) AS u(id, mac) WHERE k.id = u.id',
          [keys.map(key => key.id), macs])
        await exec(q, "UPDATE keyring SET wrapped = $1, created_at = $2 WHERE purpose = 'check' AND term = 0", [upgrade.check.wrapped, upgrade.check.createdAt])
        await appendAudit(q, [upgrade.audit(keys.length)])
        return keys.length
      })
    },
    async touchApiKeys (lastUsed) {
      if (lastUsed.size === 0) return
      const entries = [...lastUsed].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
      await transaction(async q => {
        await exec(q, `UPDATE api_keys k SET last_used_at = u.at FROM unnest($1::text[], $2::text[]) AS u(id, at)
          WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.at)`, [entries.map(([id]) => id), entries.map(([, at]) => at)])
      })
    },

    async listTeams () {
      return (await query<TeamRow>('SELECT kdf_id, id, name, created_at FROM teams ORDER BY name')).map(toTeam)
    },
    async findTeamById (id) {
      const row = (await query<TeamRow>('SELECT kdf_id, id, name, created_at FROM teams WHERE id = $1', [id]))[0]
      return row === undefined ? undefined : toTeam(row)
    },
    async findTeamByName (name) {
      const row = (await query<TeamRow>('SELECT kdf_id, id, name, created_at FROM teams WHERE name = $1', [name]))[0]
      return row === undefined ? undefined : toTeam(row)
    },
    async createTeam (team, audit) {
      return await transaction(async q => {
        const row = (await rows<TeamRow>(q, `INSERT INTO teams (id, name, created_at) VALUES ($1, $2, $3)
          ON CONFLICT (name) DO NOTHING RETURNING kdf_id, id, name, created_at`, [team.id, team.name, team.createdAt]))[0]
        if (row === undefined) return undefined
        if (audit !== undefined) await appendAudit(q, [{ ...audit, teamId: team.id, teamName: team.name }])
        return toTeam(row)
      })
    },
    async deleteTeam (id, audit) {
      return await transaction(async q => {
        // the row lock waits for a secret being created in the team (its foreign key holds a
        // share lock), so the count below sees it
        const row = (await rows<TeamRow>(q, 'SELECT kdf_id, id, name, created_at FROM teams WHERE id = $1 FOR UPDATE', [id]))[0]
        if (row === undefined) return undefined
        const inUse = (await rows<{ n: number }>(q, `SELECT (SELECT count(*) FROM secrets WHERE team_kdf_id = $1)
          + (SELECT count(*) FROM api_keys WHERE revoked_at IS NULL AND teams @> jsonb_build_array($2::text)) AS n`, [row.kdf_id, id]))[0]?.n ?? 0
        if (inUse > 0) return 'in_use' as const
        await exec(q, 'DELETE FROM teams WHERE kdf_id = $1', [row.kdf_id])
        if (audit !== undefined) await appendAudit(q, [{ ...audit, teamId: row.id, teamName: row.name }])
        return toTeam(row)
      })
    },

    setAuditHasher (hasher) { hashAudit = hasher },
    async appendAudit (events) {
      if (events.length === 0) return
      await transaction(q => appendAudit(q, events))
    },
    async listAudit (auditQuery: AuditQuery) {
      const where: string[] = []
      const params: unknown[] = []
      const bind = (value: unknown): string => { params.push(value); return `$${params.length}` }
      if (auditQuery.beforeId !== undefined) where.push(`id < ${bind(auditQuery.beforeId)}`)
      if (auditQuery.since !== undefined) where.push(`created_at >= ${bind(auditQuery.since)}`)
      if (auditQuery.until !== undefined) where.push(`created_at < ${bind(auditQuery.until)}`)
      if (auditQuery.eventType !== undefined) where.push(`event_type = ${bind(auditQuery.eventType)}`)
      if (auditQuery.secretName !== undefined) where.push(`secret_name = ${bind(auditQuery.secretName)}`)
      if (auditQuery.keyId !== undefined) where.push(`key_id = ${bind(auditQuery.keyId)}`)
      if (auditQuery.teamIds !== null) where.push(`team_id = ANY(${bind(auditQuery.teamIds)}::text[])`)
      // the filters are fixed fragments; values are bound, never spliced in
      const text = `SELECT ${AUDIT_COLUMNS} FROM audit_log ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY id DESC LIMIT ${bind(auditQuery.limit)}`
      try {
        // a text per combination of filters: not worth a prepared statement on every connection
        return (await pool.query<AuditLogRow>(text, params)).rows.map(toAuditRow)
      } catch (err) {
        throw translate(err)
      }
    },
    async auditRows (afterId, limit) {
      return (await query<AuditLogRow>(`SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2`, [afterId, limit])).map(toAuditRow)
    },

    async insertKeyring (records) {
      // two processes upgrading together add the same missing purposes: the first one's rows stand
      await transaction(q => insertKeyringRows(q, records, 'ON CONFLICT DO NOTHING'))
    },

    async listSecrets (teamIds) {
      return (await query<SecretRow>(`SELECT ${SECRET_COLUMNS} FROM ${SECRET_FROM}
        WHERE t.id = ANY($1::text[]) AND s.deleted_at IS NULL ORDER BY t.name, s.name_key`, [teamIds])).map(toSecret)
    },
    async listSecretsPage (page) {
      const from = page.nameKeyPrefix ?? ''
      return (await query<SecretRow>(`SELECT ${SECRET_COLUMNS} FROM ${SECRET_FROM}
        WHERE t.id = $1 AND s.deleted_at IS NULL AND s.name_key > $2 AND s.name_key >= $3 AND s.name_key < $4
        ORDER BY s.name_key LIMIT $5`, [page.teamId, page.afterNameKey ?? '', from, prefixEnd(from), page.limit])).map(toSecret)
    },
    async findSecret (teamId, nameKey) {
      try {
        return await findSecret(pool, teamId, nameKey)
      } catch (err) {
        throw translate(err)
      }
    },
    async findSecrets (teamId, nameKeys) {
      return (await query<SecretRow>(`SELECT ${SECRET_COLUMNS} FROM ${SECRET_FROM}
        WHERE t.id = $1 AND s.name_key = ANY($2::text[]) AND s.deleted_at IS NULL`, [teamId, nameKeys])).map(toSecret)
    },
    async readVersion (secretId, version) {
      const row = (await query<VersionRow>('SELECT secret_id, version, term, blob, fingerprint, created_at, created_by FROM secret_versions WHERE secret_id = $1 AND version = $2',
        [secretId, version]))[0]
      return row === undefined
        ? undefined
        : { ...toVersionInfo(row), secretId: row.secret_id, term: row.term, blob: row.blob } satisfies SecretVersionRecord
    },
    async findSecretWithVersion (teamKdfId, nameKey, version) {
      const row = (await queryArrays<SecretValueRow>(SECRET_VALUE_SQL, [version ?? null, teamKdfId, nameKey]))[0]
      return row === undefined ? undefined : toSecretValue(row)
    },
    async listVersions (secretId) {
      return (await query<VersionRow>('SELECT version, fingerprint, created_at, created_by FROM secret_versions WHERE secret_id = $1 ORDER BY version DESC',
        [secretId])).map(toVersionInfo)
    },
    upsertSecrets (inputs) {
      if (inputs.length === 0) return Promise.resolve([])
      return new Promise((resolve, reject) => {
        group.push({ inputs, resolve, reject })
        scheduleGroup()
      })
    },
    async trashSecret (teamId, nameKey, at) {
      return await transaction(async q => {
        await lockNames(q, [{ teamId, nameKey }])
        const existing = await findSecret(q, teamId, nameKey)
        requireExpected(at.expected, existing?.version ?? null)
        if (existing !== undefined) {
          await exec(q, 'UPDATE secrets SET deleted_at = $1, purge_at = $2 WHERE id = $3', [at.now, at.purgeAt, existing.id])
          if (at.audit !== undefined) await appendAudit(q, [{ ...at.audit, secretName: existing.name }])
        }
        return existing
      })
    },
    async listTrash (teamIds, now) {
      return (await query<SecretRow>(`SELECT ${SECRET_COLUMNS} FROM ${SECRET_FROM}
        WHERE t.id = ANY($1::text[]) AND s.deleted_at IS NOT NULL AND s.purge_at > $2
        ORDER BY s.deleted_at DESC, s.name_key`, [teamIds, now])).map(toTrashed)
    },
    async restoreSecret (teamId, nameKey, now, audit) {
      return await transaction(async q => {
        await lockNames(q, [{ teamId, nameKey }])
        const latest = (await rows<{ id: string, name: string }>(q, LATEST_TRASHED, [teamId, nameKey, now]))[0]
        if (latest === undefined) return undefined
        if (await findSecret(q, teamId, nameKey) !== undefined) return 'conflict' as const
        // a purge on another process may have destroyed it meanwhile
        const restored = await exec(q, 'UPDATE secrets SET deleted_at = NULL, purge_at = NULL, updated_at = $1 WHERE id = $2 AND deleted_at IS NOT NULL', [now, latest.id])
        if (restored.rowCount === 0) return undefined
        if (audit !== undefined) await appendAudit(q, [{ ...audit, secretName: latest.name }])
        const row = (await rows<SecretRow>(q, `SELECT ${SECRET_COLUMNS} FROM ${SECRET_FROM} WHERE s.id = $1`, [latest.id]))[0]
        return row === undefined ? undefined : toSecret(row)
      })
    },
    async destroyTrashed (teamId, nameKey, now, audit) {
      return await transaction(async q => {
        await lockNames(q, [{ teamId, nameKey }])
        const latest = (await rows<{ id: string, name: string }>(q, LATEST_TRASHED, [teamId, nameKey, now]))[0]
        if (latest === undefined) return undefined
        await exec(q, `DELETE FROM secrets WHERE deleted_at IS NOT NULL AND name_key = $1 AND purge_at > $2
          AND team_kdf_id = (SELECT kdf_id FROM teams WHERE id = $3)`, [nameKey, now, teamId])
        if (audit !== undefined) await appendAudit(q, [{ ...audit, secretName: latest.name }])
        return latest.name
      })
    },
    async purgeExpired (now) {
      return await transaction(async q => {
        // RETURNING lists only the rows this transaction deleted: processes purging at the same
        // time each record a secret once, never twice
        const expired = await rows<{ name: string, team_id: string, team_name: string }>(q, `DELETE FROM secrets s USING teams t
          WHERE t.kdf_id = s.team_kdf_id AND s.deleted_at IS NOT NULL AND s.purge_at <= $1
          RETURNING s.name, t.id AS team_id, t.name AS team_name`, [now])
        await appendAudit(q, expired.map(secret => purgedAuditEvent(now, secret)))
        return expired.length
      })
    },

    async addDataKey (record, kekCheck, audit) {
      await transaction(async q => {
        await lockKeyring(q)
        const stored = await storedKeyring(q)
        const check = stored.find(r => r.purpose === 'check')
        if (kekCheck !== undefined && (check === undefined || !check.wrapped.equals(kekCheck))) {
          throw new KeyringChanged('the keyring was rekeyed by another Trove process meanwhile')
        }
        if (stored.some(r => r.purpose === 'dek' && r.term >= record.term)) {
          throw new KeyringChanged('another Trove process rotated the keys meanwhile')
        }
        await exec(q, "UPDATE keyring SET state = 'decrypt-only' WHERE purpose = 'dek'")
        await insertKeyringRows(q, [{ ...record, state: 'active' }])
        if (audit !== undefined) await appendAudit(q, [audit])
      }, maintenancePool)
    },
    async versionsOutsideTerm (term, limit) {
      return (await query<SealedRow>(`SELECT ${SEALED_COLUMNS} FROM ${SEALED_FROM} WHERE v.term <> $1 LIMIT $2`, [term, limit], maintenancePool)).map(toSealed)
    },
    async sealedVersions (after, limit) {
      return (await query<SealedRow>(`SELECT ${SEALED_COLUMNS} FROM ${SEALED_FROM}
        WHERE (v.secret_id, v.version) > ($1, $2) ORDER BY v.secret_id, v.version LIMIT $3`, [after?.secretId ?? '', after?.version ?? 0, limit], maintenancePool)).map(toSealed)
    },
    async rewrapVersions (updates) {
      if (updates.length === 0) return 0
      return await transaction(async q => {
        const activeTerm = await lockActiveTerm(q)
        if (updates.some(u => u.term !== activeTerm)) throw new KeyringChanged()
        // a row written again meanwhile no longer has its old blob and is left alone
        const result = await exec(q, `UPDATE secret_versions v SET term = u.term, blob = u.blob
          FROM unnest($1::text[], $2::int4[], $3::bytea[], $4::int4[], $5::bytea[]) AS u(secret_id, version, old_blob, term, blob)
          WHERE v.secret_id = u.secret_id AND v.version = u.version AND v.blob = u.old_blob`, [
          updates.map(u => u.secretId), updates.map(u => u.version), updates.map(u => u.oldBlob), updates.map(u => u.term), updates.map(u => u.blob)
        ])
        return result.rowCount ?? 0
      }, maintenancePool)
    },
    async termUsage () {
      const usage = await query<{ term: number, n: number }>('SELECT term, count(*) AS n FROM secret_versions GROUP BY term', [], maintenancePool)
      return new Map(usage.map(row => [row.term, row.n]))
    },
    async retireDataKey (term) {
      return await transaction(async q => {
        // with the lock held no transaction sealing values is in flight, so the count below, a
        // later statement, sees every value stored under the term, whichever process wrote it
        await lockKeyring(q)
        if (((await rows<{ n: number }>(q, 'SELECT count(*) AS n FROM secret_versions WHERE term = $1', [term]))[0]?.n ?? 0) > 0) return false
        const key = (await rows<{ state: string }>(q, "SELECT state FROM keyring WHERE purpose = 'dek' AND term = $1", [term]))[0]
        if (key === undefined) return true
        if (key.state === 'active') return false
        await exec(q, "DELETE FROM keyring WHERE purpose = 'dek' AND term = $1", [term])
        return true
      }, maintenancePool)
    },
    async replaceKeyring (records, audit) {
      await transaction(async q => {
        await lockKeyring(q)
        const shape = (rs: readonly { purpose: string, term: number, state: string }[]) => rs.map(r => `${r.purpose}:${r.term}:${r.state}`).sort().join(',')
        if (shape(await storedKeyring(q)) !== shape(records)) throw new KeyringChanged()
        await exec(q, 'DELETE FROM keyring')
        await insertKeyringRows(q, records)
        if (audit !== undefined) await appendAudit(q, [audit])
      }, maintenancePool)
    },
    async backup () {
      throw new AppError(501, 'backup_unsupported',
        'this Trove keeps its data in PostgreSQL: back it up with pg_dump -Fc, and keep the master key apart from the dump (see the README, PostgreSQL)')
    },
    async checkIntegrity () {
      // PostgreSQL checks its own pages (checksums, WAL); there is no SQLite-style whole-file check
      return []
    },

    async stats () {
      const [secretsByTeam, keysByTeam, audit, bytes] = await Promise.all([
        query<{ team: string, live: number, trashed: number }>(`SELECT t.name AS team, count(s.id) FILTER (WHERE s.deleted_at IS NULL) AS live,
          count(s.id) FILTER (WHERE s.deleted_at IS NOT NULL) AS trashed
          FROM teams t LEFT JOIN secrets s ON s.team_kdf_id = t.kdf_id GROUP BY t.kdf_id ORDER BY t.name`),
        query<{ team: string, count: number }>(`SELECT coalesce(t.name, '*') AS team, count(*) AS count
          FROM api_keys k LEFT JOIN LATERAL jsonb_array_elements_text(k.teams) AS j(value) ON true LEFT JOIN teams t ON t.id = j.value
          WHERE k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > $1) GROUP BY 1 ORDER BY 1`, [new Date().toISOString()]),
        query<{ n: number }>('SELECT coalesce(max(id), 0) AS n FROM audit_log'),
        // Trove's own tables (indexes and TOAST included), in the schema it runs in
        query<{ n: number }>(`SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS n FROM pg_class c
          JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE ns.nspname = current_schema() AND c.relkind = 'r'`)
      ])
      return { secretsByTeam, keysByTeam, auditEntries: audit[0]?.n ?? 0, databaseBytes: bytes[0]?.n ?? 0 }
    },

    async ping () {
      await query('SELECT 1')
    },
    async close () {
      if (ended) return
      ended = true
      await endPools()
    }
  }
}
