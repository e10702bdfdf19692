// The audit writer's thread (see audit-writer.ts): its own connection to the database file,
// writing each group of events it is sent in one transaction, and saying when it is on disk.
import { parentPort, workerData } from 'node:worker_threads'
import { createAuditHasher } from '../../audit/chain.js'
import { createChainAppender } from './audit-chain-append.js'
import { openDatabase } from './db.js'
import type { WriterData, WriterReply, WriterRequest } from './audit-writer.js'

const { path, auditKey } = workerData as WriterData
const db = openDatabase(path)
const append = createChainAppender(db, createAuditHasher(auditKey))
const appendGroup = db.transaction(append)

parentPort!.on('message', (request: WriterRequest) => {
  if (request.close) {
    db.close()
    parentPort!.close()
    return
  }
  let reply: WriterReply
  try {
    appendGroup.immediate(request.events)
    reply = { id: request.id }
  } catch (err) {
    // only the kind of failure crosses over: never a message that could quote a row
    reply = { id: request.id, failure: (err as { code?: string }).code ?? 'audit_write_failed' }
  }
  parentPort!.postMessage(reply)
})
