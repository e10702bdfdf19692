/**
 * What the CLI reports: one line on stderr and an exit code scripts can trust (1 failed, 2 usage).
 * Anything else that escapes a command is a bug, and is still reported as one line.
 */
export class CliError extends Error {
  readonly exitCode: number

  constructor (message: string, exitCode = 1) {
    super(message)
    this.name = 'CliError'
    this.exitCode = exitCode
  }
}

/** The server refused: keeps the status, code and whole body (an import's plan rides on its 400). */
export class ApiError extends CliError {
  readonly status: number
  readonly code: string | undefined
  readonly body: unknown

  constructor (message: string, status: number, body: unknown) {
    super(message, 1)
    this.name = 'ApiError'
    this.status = status
    this.body = body
    const code = (body as { code?: unknown } | undefined)?.code
    this.code = typeof code === 'string' ? code : undefined
  }
}

/** The command line itself is wrong (a bad flag value, a missing choice): exit 2. */
export class UsageError extends CliError {
  constructor (message: string) {
    super(message, 2)
    this.name = 'UsageError'
  }
}

/** The last word of Node's system errors ("ENOENT: no such file…") in plain words. */
export function describeSystemError (err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  switch (code) {
    case 'ENOENT': return 'no such file or directory'
    case 'EACCES': case 'EPERM': return 'permission denied'
    case 'EISDIR': return 'is a directory'
    case 'ENOTDIR': return 'not a directory'
    case 'EEXIST': return 'already exists'
    case 'ENOSPC': return 'no space left on the device'
    case 'EROFS': return 'read-only file system'
    default: return err instanceof Error ? err.message : String(err)
  }
}
