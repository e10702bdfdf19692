import type { Command } from 'commander'
import { CliError } from '../errors.js'
import { clientOf, dateTime, optionsOf, positiveInteger, withCommon } from '../options.js'
import { note, out, printJson, printTable, when } from '../output.js'

interface Entry {
  id: number
  created_at: string
  event_type: string
  outcome: string
  key_id: string | null
  team_name: string | null
  secret_name: string | null
  detail: string | null
}

interface Verdict {
  valid: boolean
  entries: number
  first_invalid_id?: number
  head: { id: number, hash: string } | null
}

interface ListOptions {
  eventType?: string
  secret?: string
  keyId?: string
  since?: string
  until?: string
  limit?: number
  cursor?: string
}

/** `trove audit …`: the log and the check of its hash chain. */
export function registerAuditCommands (program: Command): void {
  const audit = program.command('audit').description('read and verify the audit log')

  withCommon(audit.command('list'))
    .description('list audit entries, newest first')
    .option('--event-type <type>', 'only this event, e.g. SECRET_READ, SECRET_UPDATED, KEY_CREATED, AUTH_FAILED')
    .option('--secret <name>', 'only entries about this secret')
    .option('--key-id <id>', 'only entries made with this API key')
    .option('--since <iso>', 'only entries at or after this date-time', dateTime)
    .option('--until <iso>', 'only entries before this date-time', dateTime)
    .option('--limit <n>', 'at most this many entries (1-1000, default 100)', positiveInteger)
    .option('--cursor <cursor>', 'continue after a previous page')
    .action(async (_options: unknown, command: Command) => {
      const options = optionsOf<ListOptions>(command)
      const answer = await clientOf(command).json<{ audit_logs: Entry[], next_cursor: string | null }>('GET', '/v1/audit_logs', {
        query: {
          event_type: options.eventType,
          secret_name: options.secret,
          key_id: options.keyId,
          since: options.since,
          until: options.until,
          limit: options.limit,
          cursor: options.cursor
        }
      })
      if (options.json === true) return printJson(answer)
      if (answer.audit_logs.length === 0) out('No audit entries found.')
      else {
        printTable(['id', 'time', 'event', 'outcome', 'key', 'team', 'secret', 'detail'], answer.audit_logs.map(e => [
          String(e.id), when(e.created_at), e.event_type, e.outcome, e.key_id ?? '-', e.team_name ?? '-', e.secret_name ?? '-', e.detail ?? ''
        ]))
      }
      if (answer.next_cursor !== null) note(`More entries: add --cursor ${answer.next_cursor}`)
    })

  withCommon(audit.command('verify'))
    .description('check the audit log\'s hash chain; exits 1 when an entry was edited, removed or reordered')
    .action(async (_options: unknown, command: Command) => {
      const options = optionsOf(command)
      const verdict = await clientOf(command).json<Verdict>('GET', '/v1/audit_logs/verify')
      if (options.json === true) printJson(verdict)
      if (!verdict.valid) {
        throw new CliError(`the audit log does not verify: entry ${verdict.first_invalid_id ?? '?'} is the first that fails its check (${verdict.entries} entries)`)
      }
      if (options.json !== true) {
        const head = verdict.head === null ? 'empty' : `head ${verdict.head.id} ${verdict.head.hash}`
        out(`The audit log verifies: ${verdict.entries} entries, ${head}`)
      }
    })
}
