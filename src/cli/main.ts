#!/usr/bin/env node
/**
 * The `trove` command: wiring only. Each command group lives in commands/; exit codes are
 * 0 ok, 1 failed, 2 usage, and every failure is one line on stderr, never a stack trace.
 */
import { readFileSync } from 'node:fs'
import { Command } from 'commander'
import { registerAuditCommands } from './commands/audit.js'
import { registerKeyCommands } from './commands/key.js'
import { registerOpsCommands } from './commands/ops.js'
import { registerRunCommand } from './commands/run.js'
import { registerSecretCommands } from './commands/secret.js'
import { registerServeCommand } from './commands/serve.js'
import { registerTeamCommands } from './commands/team.js'
import { registerTransferCommands } from './commands/transfer.js'
import { registerTrussCommands } from './commands/truss.js'
import { withCommon } from './options.js'
import { installProcessHandlers, reportError } from './process.js'

installProcessHandlers()

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }

const program = new Command('trove')
  .description('Trove, a self-hosted secret manager with a Baseten-compatible API: server, client and Truss helpers')
  .version(version, '-V, --version', 'print the version')
  // program options before the command, command options after it: lets `trove run -- CMD --flags` pass through
  .enablePositionalOptions()
  .exitOverride()
  .configureOutput({ outputError: (message, write) => write(`trove: ${message.replace(/^error: /, '')}`) })
  .showHelpAfterError('(add --help for usage)')
withCommon(program)
  .addHelpText('after', `
Environment:
  TROVE_URL        the server (default http://127.0.0.1:8080)
  TROVE_API_KEY    the API key; BASETEN_API_KEY is used when it is not set

Exit codes: 0 ok, 1 failed, 2 usage error.`)

registerServeCommand(program)
registerSecretCommands(program)
registerKeyCommands(program)
registerTeamCommands(program)
registerAuditCommands(program)
registerTransferCommands(program)
registerTrussCommands(program)
registerRunCommand(program)
registerOpsCommands(program)

try {
  await program.parseAsync(process.argv)
} catch (err) {
  process.exitCode = reportError(err)
}
