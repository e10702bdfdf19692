import { once } from 'node:events'
import { Worker } from 'node:worker_threads'
import type { AuditEvent } from '../../audit/chain.js'

export interface WriterData {
  path: string
  auditKey: Uint8Array
}
export type WriterRequest = { id: number, events: readonly AuditEvent[], close?: undefined } | { close: true }
export interface WriterReply {
  id: number
  /** the SQLite error code when the group was not written */
  failure?: string
}

/** The thread's module beside this one: .js when built, .ts when the sources run through tsx. */
const THREAD_URL = new URL(`./audit-writer-thread${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url)

export class AuditWriteError extends Error {
  readonly code: string
  constructor (code: string) {
    super(`the audit writer could not write a group (${code})`)
    this.name = 'AuditWriteError'
    this.code = code
  }
}

/**
 * Writes the grouped audit records (reads, refusals) of a database file on a thread of its own,
 * with its own connection (issue 9). Their inserts, index updates and the commit's fsync took a
 * third of the serving thread's time under a read load; here they take none of it. A group's
 * promise settles once its transaction has committed with synchronous=FULL, as before. Changes
 * still write their records in their own transaction on the serving connection; both connections
 * take SQLite's write lock (BEGIN IMMEDIATE) before reading the chain's head, so the chain stays
 * one chain.
 *
 * The thread starts with the first group, not with the server, and holds the process open only
 * while a group is being written.
 */
export function createAuditWriter (data: WriterData) {
  let worker: Worker | undefined
  const waiting = new Map<number, { resolve: () => void, reject: (err: Error) => void }>()
  const inFlight = new Set<Promise<void>>()
  let nextId = 1
  let held: Promise<void> | undefined
  let closed = false

  function failAll (err: Error): void {
    for (const entry of waiting.values()) entry.reject(err)
    waiting.clear()
  }

  function start (): Worker {
    const thread = new Worker(THREAD_URL, { workerData: data })
    thread.unref()
    thread.on('message', (reply: WriterReply) => {
      const entry = waiting.get(reply.id)
      waiting.delete(reply.id)
      if (waiting.size === 0) thread.unref()
      if (reply.failure === undefined) entry?.resolve()
      else entry?.reject(new AuditWriteError(reply.failure))
    })
    // a thread that died (it could not open the file, say) fails what it held; the next group starts another
    thread.on('error', (err: Error & { code?: string }) => { failAll(new AuditWriteError(err.code ?? err.name)) })
    thread.on('exit', () => {
      if (worker === thread) worker = undefined
      failAll(new AuditWriteError('writer_stopped'))
    })
    return thread
  }

  function post (events: readonly AuditEvent[]): Promise<void> {
    if (closed) return Promise.reject(new AuditWriteError('writer_closed'))
    worker ??= start()
    const id = nextId++
    const done = new Promise<void>((resolve, reject) => waiting.set(id, { resolve, reject }))
    worker.ref()
    worker.postMessage({ id, events } satisfies WriterRequest)
    return done
  }

  async function settled (): Promise<void> {
    await Promise.allSettled([...inFlight])
  }

  return {
    /** Writes the events in one transaction; resolves when they are on disk. */
    async append (events: readonly AuditEvent[]): Promise<void> {
      // checked again after each wait, with nothing awaited between the last check and the post
      for (let hold = held; hold !== undefined; hold = held) await hold
      const done = post(events)
      inFlight.add(done)
      try {
        await done
      } finally {
        inFlight.delete(done)
      }
    },

    /**
     * Runs `work` while no group is written. An online backup on the serving connection starts
     * over whenever another connection writes, so it would never end under a steady read load.
     */
    async whileHeld<T> (work: () => Promise<T>): Promise<T> {
      for (let hold = held; hold !== undefined; hold = held) await hold
      let release!: () => void
      held = new Promise(resolve => { release = resolve })
      try {
        await settled()
        return await work()
      } finally {
        held = undefined
        release()
      }
    },

    /** Waits for the groups being written, then closes the thread's connection. */
    async close (): Promise<void> {
      closed = true
      await settled()
      const thread = worker
      if (thread === undefined) return
      worker = undefined
      thread.ref()
      thread.postMessage({ close: true } satisfies WriterRequest)
      await once(thread, 'exit')
    }
  }
}

export type AuditWriter = ReturnType<typeof createAuditWriter>
