import { type Command, InvalidArgumentError } from 'commander'
import { parseDateTime } from '../services/date-time.js'
import { secretNameProblem } from '../services/names.js'
import { TroveClient } from './client.js'

/**
 * Options every command shares. They are declared on each command as well as on the program, so
 * `trove secret list --json` works as well as `trove --json secret list` (the program uses
 * positional options, which `trove run -- CMD` needs).
 */
export interface CommonOptions {
  url?: string
  apiKey?: string
  json?: boolean
}

export interface TeamOption {
  team?: string
}

export function withConnection (command: Command): Command {
  return command
    .option('--url <url>', 'Trove server (default: $TROVE_URL or http://127.0.0.1:8080)')
    .option('--api-key <key>', 'API key (default: $TROVE_API_KEY, then $BASETEN_API_KEY)')
}

export function withJson (command: Command): Command {
  return command.option('--json', 'print machine-readable JSON on stdout')
}

/** --url, --api-key and --json: for every command that talks to the server. */
export function withCommon (command: Command): Command {
  return withJson(withConnection(command))
}

export function withTeam (command: Command, otherwise = 'the API key\'s own team'): Command {
  return command.option('--team <name-or-id>', `work in this team (default: ${otherwise})`)
}

/** The options of a command merged with its parents', the command's own winning. */
export function optionsOf<T extends object> (command: Command): T & CommonOptions {
  const chain: Command[] = []
  for (let c: Command | null = command; c !== null; c = c.parent) chain.unshift(c)
  const merged: Record<string, unknown> = {}
  for (const c of chain) {
    for (const [key, value] of Object.entries(c.opts())) if (value !== undefined) merged[key] = value
  }
  return merged as T & CommonOptions
}

export function clientOf (command: Command): TroveClient {
  const { url, apiKey } = optionsOf(command)
  return new TroveClient({ url, apiKey })
}

/** argParser for version numbers and limits: a usage error (exit 2) when not a whole number. */
export function positiveInteger (text: string): number {
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1) throw new InvalidArgumentError('must be a whole number of at least 1')
  return Number(text)
}

/** argParser for a date-time option: checked here, so a bad one is a usage error (exit 2). */
export function dateTime (text: string): string {
  if (Number.isNaN(parseDateTime(text))) throw new InvalidArgumentError('must be an ISO 8601 date or date-time, e.g. 2026-11-27 or 2026-11-27T08:00:00Z')
  return text
}

/** argParser for a secret name: one the server would refuse is a usage error (exit 2), before any request. */
export function secretName (text: string): string {
  const problem = secretNameProblem(text)
  if (problem !== undefined) throw new InvalidArgumentError(problem)
  return text
}

/** argParser for repeatable options; `--scope a,b` is the same as `--scope a --scope b`. */
export function collect (text: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...text.split(',').map(s => s.trim()).filter(s => s !== '')]
}

export function choice (allowed: readonly string[]) {
  return (text: string): string => {
    if (!allowed.includes(text)) throw new InvalidArgumentError(`must be one of ${allowed.join(', ')}`)
    return text
  }
}
