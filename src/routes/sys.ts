import { createReadStream } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { eventFrom } from '../audit/audit-log.js'
import type { Cipher } from '../crypto/cipher.js'
import type { Keyring } from '../crypto/keyring.js'
import { readMasterKeyFile } from '../crypto/master-key.js'
import { AppError, StartupError } from '../errors.js'
import { decryptEverything } from '../ops/check-store.js'
import type { Rotation } from '../ops/rotation.js'
import { createSqliteStore } from '../store/sqlite/sqlite-store.js'
import type { Store } from '../store/store.js'
import { parseBody, withErrors } from './secrets.js'

const rotationSchema = {
  type: 'object',
  required: ['state', 'active_term', 'total', 'rewrapped', 'remaining', 'terms', 'started_at', 'finished_at'],
  properties: {
    state: { type: 'string', enum: ['idle', 'running', 'failed'] },
    active_term: { type: 'integer' },
    total: { type: 'integer' },
    rewrapped: { type: 'integer' },
    remaining: { type: 'integer' },
    terms: { type: 'array', items: { type: 'integer' } },
    started_at: { type: ['string', 'null'] },
    finished_at: { type: ['string', 'null'] }
  }
} as const

const rekeySchema = {
  type: 'object',
  required: ['rekeyed', 'keyring_entries'],
  properties: { rekeyed: { type: 'boolean' }, keyring_entries: { type: 'integer' } }
} as const

const RekeyBody = z.object({
  new_master_key_file: z.string({ error: 'new_master_key_file is required: a path the server can read' }).min(1)
}, { error: 'the body must be a JSON object with "new_master_key_file"' })

export interface SysRoutesOptions {
  store: Store
  keyring: Keyring
  cipher: Cipher
  rotation: Rotation
}

/**
 * Operations on a running server, for the `admin` scope: key rotation and its progress, rekey
 * under a new master key, and a verified online backup.
 */
export default async function sysRoutes (app: FastifyInstance, options: SysRoutesOptions): Promise<void> {
  const { store, keyring, cipher, rotation } = options
  const admin = (operationId: string) => ({ operationId, scope: 'admin' as const })

  // Each of these acts on the whole store (every team's values, keys and audit chain): a key
  // bound to teams, even with `admin`, may use only its teams, so none of these is for it.
  app.addHook('preHandler', (request, _reply, done) => {
    if (request.principal.teams !== null) {
      return done(new AppError(403, 'team_bound_key', 'this operation acts on every team (the whole store): use a key that is not bound to teams'))
    }
    done()
  })

  app.post('/rotate', { schema: { response: withErrors(rotationSchema) }, config: admin('rotateKeys') }, async request =>
    await rotation.start(term => eventFrom(request.principal, 'KEYRING_ROTATED', { detail: `data key term ${term} is active; older values are re-encrypted to it` })))
  app.get('/rotation', { schema: { response: withErrors(rotationSchema) }, config: admin('getRotation') }, async () => rotation.status())

  app.post('/rekey', { schema: { response: withErrors(rekeySchema) }, config: admin('rekey') }, async request => {
    const body = parseBody(RekeyBody, request.body, '"new_master_key_file"')
    let newKey: Buffer
    try {
      newKey = readMasterKeyFile(body.new_master_key_file, 'new_master_key_file')
    } catch (err) {
      if (err instanceof StartupError) throw new AppError(400, 'invalid_master_key', err.message)
      throw err
    }
    try {
      const { records, commit } = keyring.rewrapAll(newKey, await store.listKeyring(), new Date().toISOString())
      await store.replaceKeyring(records, eventFrom(request.principal, 'KEYRING_REKEYED', { detail: `${records.length} keyring entries wrapped under a new master key` }))
      commit()
      request.log.warn('the keyring is now wrapped under a new master key; start Trove with it from now on')
      return { rekeyed: true, keyring_entries: records.length }
    } finally {
      newKey.fill(0)
    }
  })

  /**
   * A consistent snapshot, taken with SQLite's online backup on the serving connection, then
   * opened and checked (integrity, same keyring, every stored value decrypts) before it is sent.
   */
  app.get('/backup', { config: admin('backup') }, async (request, reply) => {
    const dir = await mkdtemp(join(tmpdir(), 'trove-backup-'))
    const file = join(dir, 'trove-backup.db')
    try {
      const started = performance.now()
      await store.backup(file)
      const snapshot = createSqliteStore(file)
      let check
      try {
        const problems = await snapshot.checkIntegrity()
        if (problems.length > 0) throw new AppError(500, 'backup_failed', `the snapshot failed its integrity check: ${problems[0]}`)
        const [live, copied] = [await store.listKeyring(), await snapshot.listKeyring()]
        const sameKeyring = live.length === copied.length && live.every((r, i) => r.wrapped.equals(copied[i]!.wrapped))
        if (!sameKeyring) throw new AppError(500, 'backup_failed', 'the snapshot\'s keyring differs from the live one')
        check = await decryptEverything(snapshot, keyring, cipher)
        if (check.failures.length > 0) throw new AppError(500, 'backup_failed', `${check.failures.length} stored values in the snapshot do not decrypt`)
        if (check.tamperedKeys.length > 0) {
          throw new AppError(500, 'backup_failed', `API key rows fail their integrity check (changed outside Trove): ${check.tamperedKeys.join(', ')}; revoke those keys, then back up again`)
        }
      } finally {
        await snapshot.close()
      }
      const { size } = await stat(file)
      // recorded before a byte leaves: the backup holds every team's ciphertext and key rows
      await store.appendAudit([eventFrom(request.principal, 'BACKUP_DOWNLOADED', { detail: `${size} bytes, ${check.versions} stored value${check.versions === 1 ? '' : 's'}` })])
      request.log.info({ bytes: size, versions: check.versions, ms: Math.round(performance.now() - started) }, 'backup taken and checked')
      reply.raw.on('close', () => { rm(dir, { recursive: true, force: true }).catch(() => {}) })
      return reply
        .type('application/vnd.sqlite3')
        .header('content-length', size)
        .header('content-disposition', 'attachment; filename="trove-backup.db"')
        .header('x-trove-backup-versions', String(check.versions))
        .send(createReadStream(file))
    } catch (err) {
      await rm(dir, { recursive: true, force: true })
      throw err
    }
  })
}
