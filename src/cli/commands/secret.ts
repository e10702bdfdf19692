import type { Command } from 'commander'
import type { Secret } from '../../api-shapes.js'
import { readSecretValue } from '../input.js'
import { clientOf, optionsOf, positiveInteger, secretName, type TeamOption, withCommon, withTeam } from '../options.js'
import { out, printJson, printTable, when } from '../output.js'

interface Version {
  version: number
  created_at: string
  created_by: string | null
  current: boolean
  fingerprint?: string
}

interface Trashed {
  name: string
  team_name: string
  deleted_at: string
  purge_at: string
  version?: number
}

const secretPath = (name: string, rest = ''): string => `/secrets/${encodeURIComponent(name)}${rest}`

/** `trove secret …`: Baseten's wording where its CLI has the command ("Set secret NAME"). */
export function registerSecretCommands (program: Command): void {
  const secret = program.command('secret').description('set, read, list and delete secrets')

  withTeam(withCommon(secret.command('set')))
    .description('create or replace a secret; the value comes from --value, else stdin (one trailing newline removed), else a hidden prompt')
    .argument('<name>', 'secret name (letters, digits, - . _)', secretName)
    .option('--value <value>', 'the value (visible in shell history and `ps`: prefer stdin)')
    .action(async (name: string, _options: unknown, command: Command) => {
      const options = optionsOf<TeamOption & { value?: string }>(command)
      const client = clientOf(command)
      // resolve the team before asking for a value, so a wrong --team fails before the prompt
      const path = await client.scoped(options.team, '/secrets')
      const value = options.value ?? await readSecretValue(name)
      const answer = await client.json<Secret>('POST', path, { json: { name, value } })
      if (options.json === true) printJson(answer)
      else out(`Set secret ${answer.name}`)
    })

  withTeam(withCommon(secret.command('list')), 'every team the API key may use')
    .description('list secrets (names and metadata, never values)')
    .action(async (_options: unknown, command: Command) => {
      const options = optionsOf<TeamOption>(command)
      const client = clientOf(command)
      const answer = await client.json<{ secrets: Secret[] }>('GET', await client.scoped(options.team, '/secrets'))
      if (options.json === true) return printJson(answer)
      if (answer.secrets.length === 0) return out('No secrets found.')
      printTable(['name', 'team', 'version', 'updated'], answer.secrets.map(s => [
        s.name, s.team_name, String(s.version ?? '-'), when(s.updated_at ?? s.created_at)
      ]))
    })

  withTeam(withCommon(secret.command('get')))
    .description('print a secret\'s value exactly as stored (a newline is added only on a terminal)')
    .argument('<name>', 'secret name', secretName)
    .option('--version <n>', 'an older version', positiveInteger)
    .action(async (name: string, _options: unknown, command: Command) => {
      const options = optionsOf<TeamOption & { version?: number }>(command)
      const client = clientOf(command)
      const answer = await client.json<{ name: string, value: string, version: number }>(
        'GET', await client.scoped(options.team, secretPath(name, '/value')), { query: { version: options.version } })
      if (options.json === true) return printJson(answer)
      // byte for byte into pipes and files; a terminal gets a newline so the prompt starts on its own line
      process.stdout.write(process.stdout.isTTY && !answer.value.endsWith('\n') ? `${answer.value}\n` : answer.value)
    })

  withTeam(withCommon(secret.command('delete')))
    .description('delete a secret (it waits in the trash; see `trove secret restore`)')
    .argument('<name>', 'secret name', secretName)
    .action(async (name: string, _options: unknown, command: Command) => {
      const options = optionsOf<TeamOption>(command)
      const client = clientOf(command)
      const answer = await client.json<{ name: string }>('DELETE', await client.scoped(options.team, secretPath(name)))
      if (options.json === true) printJson(answer)
      else out(`Deleted secret ${answer.name}`)
    })

  withTeam(withCommon(secret.command('history')))
    .description('list a secret\'s versions, newest first (fingerprints compare values without showing them)')
    .argument('<name>', 'secret name', secretName)
    .action(async (name: string, _options: unknown, command: Command) => {
      const options = optionsOf<TeamOption>(command)
      const client = clientOf(command)
      const answer = await client.json<{ versions: Version[] }>('GET', await client.scoped(options.team, secretPath(name, '/versions')))
      if (options.json === true) return printJson(answer)
      printTable(['version', 'created', 'created by', 'current', 'fingerprint'], answer.versions.map(v => [
        String(v.version), when(v.created_at), v.created_by ?? '-', v.current ? '*' : '', v.fingerprint ?? '-'
      ]))
    })

  withTeam(withCommon(secret.command('rollback')))
    .description('make an older version\'s value current again (as a new version)')
    .argument('<name>', 'secret name', secretName)
    .requiredOption('--version <n>', 'the version whose value to bring back', positiveInteger)
    .action(async (name: string, _options: unknown, command: Command) => {
      const options = optionsOf<TeamOption & { version: number }>(command)
      const client = clientOf(command)
      const answer = await client.json<Secret>('POST', await client.scoped(options.team, secretPath(name, '/rollback')), { json: { version: options.version } })
      if (options.json === true) printJson(answer)
      else out(`Rolled back secret ${answer.name} to version ${options.version} (now version ${answer.version ?? '?'})`)
    })

  withTeam(withCommon(secret.command('restore')))
    .description('bring a deleted secret back from the trash, with its history')
    .argument('<name>', 'secret name', secretName)
    .action(async (name: string, _options: unknown, command: Command) => {
      const options = optionsOf<TeamOption>(command)
      const client = clientOf(command)
      const answer = await client.json<Secret>('POST', await client.scoped(options.team, `/trash/${encodeURIComponent(name)}/restore`))
      if (options.json === true) printJson(answer)
      else out(`Restored secret ${answer.name}`)
    })

  withTeam(withCommon(secret.command('trash')))
    .description('list deleted secrets that can still be restored')
    .action(async (_options: unknown, command: Command) => {
      const options = optionsOf<TeamOption>(command)
      const client = clientOf(command)
      const answer = await client.json<{ secrets: Trashed[] }>('GET', await client.scoped(options.team, '/trash'))
      if (options.json === true) return printJson(answer)
      if (answer.secrets.length === 0) return out('The trash is empty.')
      printTable(['name', 'team', 'deleted', 'destroyed after'], answer.secrets.map(s => [
        s.name, s.team_name, when(s.deleted_at), when(s.purge_at)
      ]))
    })
}
