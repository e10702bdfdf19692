import type { AuditEvent } from '../audit/chain.js'
import type { Cipher } from '../crypto/cipher.js'
import type { Keyring } from '../crypto/keyring.js'
import { KeyringChanged } from '../errors.js'
import { sealContext } from '../services/secrets-service.js'
import type { Store } from '../store/store.js'

export interface RotationStatus {
  state: 'idle' | 'running' | 'failed'
  active_term: number
  /** versions sealed under an older term when the run started */
  total: number
  rewrapped: number
  remaining: number
  /** terms whose keys are still loaded (old ones are dropped once no value uses them) */
  terms: number[]
  started_at: string | null
  finished_at: string | null
}

const BATCH = 500

/**
 * Passes of re-encrypt-then-retire before a rotation gives up: a pass ends with values still
 * under an old term only when some were written under it meanwhile (see below).
 */
const MAX_PASSES = 5

/**
 * Key rotation (security.md §3.1): a new data-key term takes every new write at once; then the
 * stored values are re-encrypted to it in small batches, yielding to requests between batches,
 * and old terms are dropped once no value uses them. Reads work throughout: every blob names its
 * term, and old keys stay loaded until nothing needs them.
 *
 * Other processes sharing the store (PostgreSQL) may write, rotate or re-encrypt meanwhile. So
 * each batch is sealed under the active term read when it is made, and a batch the store refuses
 * because another term became active (KeyringChanged) is made again after the keyring is
 * reloaded. The store retires a term only when, in the retiring transaction, no value uses it;
 * if one does (a value written under it after the batches passed it), the rotation runs another
 * pass that re-encrypts it, rather than leaving a value behind under a key that is gone.
 */
export function createRotation (deps: { store: Store, keyring: Keyring, cipher: Cipher, now?: () => Date, onError?: (err: unknown) => void }) {
  const { store, keyring, cipher } = deps
  const now = deps.now ?? (() => new Date())
  let status: RotationStatus = {
    state: 'idle', active_term: keyring.activeTerm, total: 0, rewrapped: 0, remaining: 0, terms: [...keyring.terms], started_at: null, finished_at: null
  }
  let running: Promise<void> | undefined
  let stopping = false

  /** Re-encrypts every stored value under another term to the active one, batch by batch. */
  async function rewrapPass (): Promise<void> {
    for (;;) {
      if (stopping) return
      const term = keyring.activeTerm
      const rows = await store.versionsOutsideTerm(term, BATCH)
      if (rows.length === 0) return
      const updates = rows.map(row => {
        const context = sealContext(row.teamId, row.secretId, row.nameKey, row.version)
        const plaintext = cipher.open(t => keyring.teamKey(t, row.teamKdfId), context, row.blob)
        const key = keyring.teamKey(term, row.teamKdfId)!
        return { secretId: row.secretId, version: row.version, oldBlob: row.blob, term, blob: cipher.seal(key, term, context, plaintext) }
      })
      try {
        status.rewrapped += await store.rewrapVersions(updates)
      } catch (err) {
        if (!(err instanceof KeyringChanged)) throw err
        // another process rotated again: carry on towards its term
        await keyring.refresh()
        continue
      }
      status.remaining = Math.max(0, status.total - status.rewrapped)
      // let requests in between batches
      await new Promise(resolve => setImmediate(resolve))
    }
  }

  /** Retires every term but the active one; false while a value still uses one of them. */
  async function retireOldTerms (): Promise<boolean> {
    let allRetired = true
    for (const old of keyring.terms) {
      if (old === keyring.activeTerm) continue
      if (await store.retireDataKey(old)) keyring.dropTerm(old)
      else allRetired = false
    }
    return allRetired
  }

  async function rewrapAll (): Promise<void> {
    for (let pass = 1; ; pass++) {
      // start from the stored keyring: another process may have rotated since this one loaded it
      await keyring.refresh()
      await rewrapPass()
      if (stopping || await retireOldTerms()) return
      if (pass === MAX_PASSES) {
        throw new Error(`values under an old key term remain after ${MAX_PASSES} passes; the rotation carries on at the next start or rotation`)
      }
    }
  }

  async function valuesUnderOldTerms (): Promise<number> {
    const usage = await store.termUsage()
    return [...usage.entries()].filter(([t]) => t !== keyring.activeTerm).reduce((n, [, count]) => n + count, 0)
  }

  /** Runs the re-encryption in the background; its outcome is kept in the status. */
  function begin (total: number): void {
    status = { ...status, state: 'running', total, rewrapped: 0, remaining: total, started_at: now().toISOString(), finished_at: null }
    running = rewrapAll().then(
      () => { status = { ...status, state: 'idle', remaining: 0, finished_at: now().toISOString() } },
      err => {
        status = { ...status, state: 'failed', finished_at: now().toISOString() }
        deps.onError?.(err)
      })
  }

  return {
    status (): RotationStatus {
      return { ...status, active_term: keyring.activeTerm, terms: [...keyring.terms] }
    },

    /**
     * Starts a rotation; a second call while one runs answers the running one's status. `audit`
     * describes the new term, recorded in the transaction that stores its key.
     */
    async start (audit?: (term: number) => AuditEvent): Promise<RotationStatus> {
      if (status.state === 'running') return this.status()
      // a process sharing the store may have rotated or rekeyed since this one loaded the keyring
      await keyring.refresh()
      const { record, kekCheck, commit } = keyring.newDataKey(now().toISOString())
      try {
        await store.addDataKey(record, kekCheck, audit?.(record.term))
        commit()
      } catch (err) {
        if (!(err instanceof KeyringChanged)) throw err
        // Another process added a term at the same moment: that rotation is this one, and this
        // process helps re-encrypt to it. (After a rekey elsewhere the refresh fails instead.)
        await keyring.refresh()
      }
      begin(await valuesUnderOldTerms())
      return this.status()
    },

    /**
     * Finishes a rotation a restart interrupted: values still under an older term are re-encrypted
     * to the active one, without a new term.
     */
    async resume (): Promise<void> {
      if (status.state === 'running') return
      const total = await valuesUnderOldTerms()
      if (total === 0 && keyring.terms.length === 1) return
      begin(total)
    },

    /** Resolves when the running rotation (if any) ends. */
    async settled (): Promise<void> {
      await running
    },

    /** Stops between batches at shutdown; a later `start` picks up the remaining rows. */
    async stop (): Promise<void> {
      stopping = true
      await running
    }
  }
}

export type Rotation = ReturnType<typeof createRotation>
