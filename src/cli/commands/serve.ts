import type { Command } from 'commander'
import { removeProcessHandlers } from '../process.js'

interface ServeOptions {
  host?: string
  port?: string
  dataDir?: string
  db?: string
  masterKeyFile?: string
  logLevel?: string
}

/** Flag → the variable it overrides; the server validates both the same way. */
const FLAGS: [keyof ServeOptions, string][] = [
  ['host', 'TROVE_HOST'],
  ['port', 'TROVE_PORT'],
  ['dataDir', 'TROVE_DATA_DIR'],
  ['db', 'TROVE_DB'],
  ['masterKeyFile', 'TROVE_MASTER_KEY_FILE'],
  ['logLevel', 'TROVE_LOG_LEVEL']
]

/** `trove serve`: the same process as `npm start`, with flags in place of some TROVE_* variables. */
export function registerServeCommand (program: Command): void {
  program.command('serve')
    .description('run the Trove server (settings from TROVE_* variables; these flags override them)')
    .option('--host <host>', 'listen address (TROVE_HOST, default 127.0.0.1)')
    .option('--port <port>', 'listen port, 0 for any free one (TROVE_PORT, default 8080)')
    .option('--data-dir <dir>', 'database and generated master key (TROVE_DATA_DIR, default ./data)')
    .option('--db <path>', 'SQLite file, or :memory: (TROVE_DB)')
    .option('--master-key-file <file>', 'file holding the base64 master key (TROVE_MASTER_KEY_FILE)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (TROVE_LOG_LEVEL)')
    .action(async (options: ServeOptions) => {
      const env: Record<string, string | undefined> = { ...process.env }
      for (const [flag, variable] of FLAGS) {
        const value = options[flag]
        if (value !== undefined) env[variable] = value
      }
      // the server (Fastify, SQLite, libsodium) loads only for this command
      const { runServer } = await import('../../server.js')
      // from here on this is the server process: its crashes keep their stack for the operator
      removeProcessHandlers()
      runServer(env)
    })
}
