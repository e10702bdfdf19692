import type { Command } from 'commander'
import { clientOf, optionsOf, withCommon } from '../options.js'
import { out, printJson, printTable } from '../output.js'

interface TeamAnswer {
  id: string
  name: string
  created_at?: string
}

/** `trove team …`: teams are addressed by name or id, like `--team` elsewhere. */
export function registerTeamCommands (program: Command): void {
  const team = program.command('team').description('create, list and delete teams')

  withCommon(team.command('create'))
    .description('create a team')
    .argument('<name>', 'team name')
    .action(async (name: string, _options: unknown, command: Command) => {
      const options = optionsOf(command)
      const created = await clientOf(command).json<TeamAnswer>('POST', '/v1/teams', { json: { name } })
      if (options.json === true) printJson(created)
      else out(`Created team ${created.name} (id ${created.id})`)
    })

  withCommon(team.command('list'))
    .description('list the teams this API key may use')
    .action(async (_options: unknown, command: Command) => {
      const options = optionsOf(command)
      const teams = await clientOf(command).teams()
      if (options.json === true) return printJson({ teams })
      if (teams.length === 0) return out('No teams found.')
      printTable(['id', 'name'], teams.map(t => [t.id, t.name]))
    })

  withCommon(team.command('delete'))
    .description('delete an empty team (no secrets, trash included, and no live keys)')
    .argument('<name-or-id>', 'team name or id')
    .action(async (nameOrId: string, _options: unknown, command: Command) => {
      const options = optionsOf(command)
      const client = clientOf(command)
      const { id } = await client.team(nameOrId)
      const deleted = await client.json<TeamAnswer>('DELETE', `/v1/teams/${encodeURIComponent(id)}`)
      if (options.json === true) printJson(deleted)
      else out(`Deleted team ${deleted.name}`)
    })
}
