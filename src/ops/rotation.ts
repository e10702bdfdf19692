import type { Cipher } from '../crypto/cipher.js'
import type { Keyring } from '../crypto/keyring.js'
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
 * Key rotation (security.md §3.1): a new data-key term takes every new write at once; then the
 * stored values are re-encrypted to it in small batches, yielding to requests between batches,
 * and old terms are dropped once no value uses them. Reads work throughout: every blob names its
 * term, and old keys stay loaded until nothing needs them.
 */
export function createRotation (deps: { store: Store, keyring: Keyring, cipher: Cipher, now?: () => Date, onError?: (err: unknown) => void }) {
  const { store, keyring, cipher } = deps
  const now = deps.now ?? (() => new Date())
  let status: RotationStatus = {
    state: 'idle', active_term: keyring.activeTerm, total: 0, rewrapped: 0, remaining: 0, terms: [...keyring.terms], started_at: null, finished_at: null
  }
  let running: Promise<void> | undefined
  let stopping = false

  async function rewrapAll (): Promise<void> {
    const term = keyring.activeTerm
    for (;;) {
      if (stopping) return
      const rows = await store.versionsOutsideTerm(term, BATCH)
      if (rows.length === 0) break
      const updates = rows.map(row => {
        const context = sealContext(row.teamId, row.secretId, row.nameKey, row.version)
        const plaintext = cipher.open(t => keyring.teamKey(t, row.teamKdfId), context, row.blob)
        const key = keyring.teamKey(term, row.teamKdfId)!
        return { secretId: row.secretId, version: row.version, oldBlob: row.blob, term, blob: cipher.seal(key, term, context, plaintext) }
      })
      status.rewrapped += await store.rewrapVersions(updates)
      status.remaining = Math.max(0, status.total - status.rewrapped)
      // let requests in between batches
      await new Promise(resolve => setImmediate(resolve))
    }
    for (const old of keyring.terms) {
      if (old !== term && await store.retireDataKey(old)) keyring.dropTerm(old)
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

    /** Starts a rotation; a second call while one runs answers the running one's status. */
    async start (): Promise<RotationStatus> {
      if (status.state === 'running') return this.status()
      const { record, commit } = keyring.newDataKey(now().toISOString())
      await store.addDataKey(record)
      commit()
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
