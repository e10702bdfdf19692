import type { Command } from 'commander'
import type { ApiKey, CreatedApiKey } from '../../api-shapes.js'
import { collect, clientOf, dateTime, optionsOf, withCommon } from '../options.js'
import { note, out, printJson, printTable, when } from '../output.js'

const SCOPES = 'secrets:list, secrets:read, secrets:write, secrets:delete, keys:manage, teams:manage, audit:read, admin'

/** `trove key …`: API keys. The new key is the only thing create prints on stdout, for `$(…)`. */
export function registerKeyCommands (program: Command): void {
  const key = program.command('key').description('create, list and revoke API keys')

  withCommon(key.command('create'))
    .description('create an API key; it is printed once and cannot be shown again')
    .requiredOption('--name <name>', 'a label for the key')
    .requiredOption('--scope <scope>', `what the key may do, repeatable or comma-separated: ${SCOPES}`, collect)
    .option('--team <name-or-id>', 'bind the key to this team, repeatable (default: the teams of the key creating it)', collect)
    .option('--expires-at <iso>', 'expiry, an ISO 8601 date-time such as 2027-01-01T00:00:00Z, no later than your own key expires; without it the key expires with yours (never, if yours does not)', dateTime)
    .action(async (_options: unknown, command: Command) => {
      const options = optionsOf<{ name: string, scope: string[], team?: string[], expiresAt?: string }>(command)
      const client = clientOf(command)
      const teams = options.team === undefined ? undefined : await Promise.all(options.team.map(async t => (await client.team(t)).id))
      const created = await client.json<CreatedApiKey>('POST', '/v1/api_keys', {
        json: { name: options.name, scopes: options.scope, teams, expires_at: options.expiresAt }
      })
      if (options.json === true) return printJson(created)
      note(`Created API key "${created.name}" (id ${created.id}, scopes ${created.scopes.join(', ')}). It is shown only this once; store it now:`)
      out(created.key)
    })

  withCommon(key.command('list'))
    .description('list API keys (never the keys themselves)')
    .action(async (_options: unknown, command: Command) => {
      const options = optionsOf(command)
      const client = clientOf(command)
      const answer = await client.json<{ api_keys: ApiKey[] }>('GET', '/v1/api_keys')
      if (options.json === true) return printJson(answer)
      if (answer.api_keys.length === 0) return out('No API keys found.')
      const names = new Map((await client.teams()).map(t => [t.id, t.name]))
      const now = Date.now()
      const status = (k: ApiKey): string => k.revoked
        ? 'revoked'
        : k.expires_at !== null && Date.parse(k.expires_at) <= now ? 'expired' : 'active'
      printTable(['id', 'name', 'scopes', 'teams', 'created', 'expires', 'last used', 'status'], answer.api_keys.map(k => [
        k.id, k.name, k.scopes.join(','), k.teams === null ? '(all)' : k.teams.map(id => names.get(id) ?? id).join(','),
        when(k.created_at), when(k.expires_at), when(k.last_used_at), status(k)
      ]))
    })

  withCommon(key.command('revoke'))
    .description('revoke an API key: the next request with it is refused')
    .argument('<id>', 'the key id (see `trove key list`)')
    .action(async (id: string, _options: unknown, command: Command) => {
      const options = optionsOf(command)
      const revoked = await clientOf(command).json<ApiKey>('DELETE', `/v1/api_keys/${encodeURIComponent(id)}`)
      if (options.json === true) printJson(revoked)
      else out(`Revoked API key ${revoked.id} (${revoked.name})`)
    })
}
