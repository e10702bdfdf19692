import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { ApiError, CliError, describeSystemError, UsageError } from '../errors.js'
import { writeFileAtomic } from '../files.js'
import { utf8Text } from '../input.js'
import { choice, clientOf, optionsOf, type TeamOption, withCommon, withTeam } from '../options.js'
import { out, plural, printJson } from '../output.js'

const FORMATS = ['dotenv', 'json', 'yaml'] as const

interface PlanItem {
  name: string
  action: 'create' | 'update' | 'unchanged' | 'invalid'
  reason?: string
}

interface ImportAnswer {
  plan: PlanItem[]
  applied: boolean
}

/** dotenv for `.env`, `prod.env`, `.env.local`; json and yaml by extension. */
export function formatFromFileName (file: string): string | undefined {
  const name = file.toLowerCase().split(/[\\/]/).pop() ?? ''
  if (name.endsWith('.json')) return 'json'
  if (name.endsWith('.yaml') || name.endsWith('.yml')) return 'yaml'
  if (name.endsWith('.env') || name === '.env' || name.startsWith('.env.')) return 'dotenv'
  return undefined
}

function printPlan (plan: readonly PlanItem[]): void {
  const width = Math.max(0, ...plan.map(item => item.action.length))
  for (const item of plan) {
    // an entry the server could not read has no name, only a reason naming its line
    const what = [item.name, item.reason].filter(part => part !== undefined && part !== '').join(': ')
    out(`${item.action.padEnd(width)}  ${what}`)
  }
}

function summary (plan: readonly PlanItem[], applied: boolean): string {
  const count = (action: PlanItem['action']): number => plan.filter(item => item.action === action).length
  if (applied) return `Imported: ${count('create')} created, ${count('update')} updated, ${count('unchanged')} unchanged.`
  return `Dry run: ${count('create')} to create, ${count('update')} to update, ${count('unchanged')} unchanged; nothing was changed.`
}

/** `trove import FILE` and `trove export`: whole files of secrets, over the API. */
export function registerTransferCommands (program: Command): void {
  withTeam(withCommon(program.command('import')))
    .description('import secrets from a file (dotenv, json or yaml); nothing is changed if any entry is invalid')
    .argument('<file>', 'the file to import, or - for stdin')
    .option('--format <format>', 'dotenv, json or yaml (default: from the file name)', choice(FORMATS))
    .option('--dry-run', 'print the plan without changing anything')
    .action(async (file: string, _options: unknown, command: Command) => {
      const options = optionsOf<TeamOption & { format?: string, dryRun?: boolean }>(command)
      const format = options.format ?? formatFromFileName(file)
      if (format === undefined) throw new UsageError(`cannot tell the format of ${file} from its name; add --format dotenv, json or yaml`)
      let bytes: Buffer
      try {
        bytes = file === '-' ? await readStdin() : await readFile(file)
      } catch (err) {
        throw new CliError(`cannot read ${file}: ${describeSystemError(err)}`)
      }
      const text = utf8Text(bytes, file === '-' ? 'standard input' : file)
      const client = clientOf(command)
      let answer: ImportAnswer
      try {
        answer = await client.json<ImportAnswer>('POST', await client.scoped(options.team, '/secrets/import'), {
          query: { format, dry_run: options.dryRun === true ? 'true' : undefined },
          text
        })
      } catch (err) {
        // a refused import carries its plan: show which entries are wrong before the error line
        const refused = err instanceof ApiError && err.code === 'invalid_import' ? err.body as Partial<ImportAnswer> : undefined
        if (refused?.plan !== undefined) {
          if (options.json === true) printJson(refused)
          else printPlan(refused.plan)
        }
        throw err
      }
      if (options.json === true) printJson(answer)
      else {
        printPlan(answer.plan)
        out(summary(answer.plan, answer.applied))
      }
      const invalid = answer.plan.filter(item => item.action === 'invalid').length
      if (invalid > 0) throw new CliError(`${plural(invalid, 'entry is', 'entries are')} invalid; an import of this file would change nothing`)
    })

  withTeam(withCommon(program.command('export')))
    .description('export the team\'s secrets, values included, as a file that imports back exactly')
    .option('--format <format>', 'dotenv, json or yaml (default: from --out, else dotenv)', choice(FORMATS))
    .option('--out <file>', 'write to this file (mode 0600) instead of stdout')
    .action(async (_options: unknown, command: Command) => {
      const options = optionsOf<TeamOption & { format?: string, out?: string }>(command)
      const format = options.format ?? (options.out === undefined ? undefined : formatFromFileName(options.out)) ?? 'dotenv'
      const client = clientOf(command)
      const text = await client.text('GET', await client.scoped(options.team, '/secrets/export'), { query: { format } })
      if (options.out === undefined) {
        // the file itself is the machine-readable output, with or without --json
        process.stdout.write(text)
        return
      }
      try {
        await writeFileAtomic(options.out, text, 0o600)
      } catch (err) {
        throw new CliError(`cannot write ${options.out}: ${describeSystemError(err)}`)
      }
      if (options.json === true) printJson({ out: options.out, format, bytes: Buffer.byteLength(text) })
      else out(`Exported secrets to ${options.out} (${format})`)
    })
}

async function readStdin (): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}
