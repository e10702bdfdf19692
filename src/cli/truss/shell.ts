/**
 * `TRUSS_SECRET_{name}` lines a POSIX shell can eval. Single quotes keep every byte (newlines,
 * `$`, backslashes) literal; a single quote inside becomes '\'' (close, escaped quote, reopen).
 */
export function shellQuote (value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`
}

/** Truss's environment fallback: TRUSS_SECRET_ + the name exactly as declared. */
export function envName (secretName: string): string {
  return `TRUSS_SECRET_${secretName}`
}

/** Secret names may hold `-` and `.`, which a shell variable cannot (a process environment can). */
export function isShellVariable (name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)
}

export function exportLine (secretName: string, value: string): string {
  return `export ${envName(secretName)}=${shellQuote(value)}`
}
