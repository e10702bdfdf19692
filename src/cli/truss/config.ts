import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { isMap, isScalar, LineCounter, parseDocument, type Node } from 'yaml'
import { CliError, describeSystemError } from '../errors.js'

/**
 * Reads the `secrets:` section of a Truss config.yaml. Truss declares each secret with a `null`
 * placeholder and reads the value from `/secrets/{name}` (or `TRUSS_SECRET_{name}`) at run time;
 * a real value in the file would be pushed with the model, which is what `trove truss check`
 * catches. Everything else in the file (model_name, resources, docker_server, build…) is ignored.
 */

export interface DeclaredSecret {
  name: string
  /** the line of the name */
  line: number
  /** the line of the value, when there is one */
  valueLine?: number
  /** a value where `null` belongs; Truss would use it as a fallback, and it travels with the model */
  holdsValue: boolean
}

export interface Finding {
  line: number
  name?: string
  message: string
}

export interface TrussConfig {
  /** the path as the user gave it (or with config.yaml appended to a folder), for messages */
  path: string
  secrets: DeclaredSecret[]
  /** problems that make the config unusable: YAML errors, a bad `secrets:` shape, bad names */
  errors: Finding[]
}

/** Trove's secret names (the server's rule), which are also safe file names under /secrets. */
export function isSecretName (name: string): boolean {
  return /^[-._a-zA-Z0-9]{1,253}$/.test(name) && name !== '.' && name !== '..'
}

/** A Truss folder stands for its config.yaml, as `truss push` takes the folder. */
async function configPath (path: string): Promise<string> {
  const info = await stat(path).catch(() => undefined)
  return info?.isDirectory() === true ? join(path, 'config.yaml') : path
}

export async function readTrussConfig (given: string): Promise<TrussConfig> {
  const path = await configPath(given)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${describeSystemError(err)}`)
  }
  return parseTrussConfig(path, text)
}

export function parseTrussConfig (path: string, text: string): TrussConfig {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines })
  const lineOf = (node: Node | null | undefined): number => lines.linePos(node?.range?.[0] ?? 0).line
  const config: TrussConfig = { path, secrets: [], errors: [] }
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      config.errors.push({ line: error.linePos?.[0].line ?? 1, message: `not valid YAML: ${error.message.split('\n')[0] ?? ''}` })
    }
    return config
  }
  const root = doc.contents
  if (root === null || (isScalar(root) && root.value === null)) return config
  if (!isMap(root)) {
    config.errors.push({ line: lineOf(root), message: 'a Truss config must be a YAML mapping (model_name:, secrets:, …)' })
    return config
  }
  const section = root.items.find(pair => isScalar(pair.key) && pair.key.value === 'secrets')
  // no `secrets:` at all, or an empty one, declares nothing: that is fine
  if (section === undefined || section.value === null || (isScalar(section.value) && section.value.value === null)) return config
  if (!isMap(section.value)) {
    config.errors.push({ line: lineOf(section.value as Node), message: '`secrets:` must be a mapping of secret names to null' })
    return config
  }
  for (const pair of section.value.items) {
    const key = pair.key as Node | null
    if (!isScalar(key)) {
      config.errors.push({ line: lineOf(key ?? section.value), message: 'each entry of `secrets:` must be a secret name' })
      continue
    }
    // a name YAML reads as a number (`123: null`) keeps the spelling of the file
    const name = typeof key.value === 'string' ? key.value : text.slice(key.range?.[0] ?? 0, key.range?.[1] ?? 0).trim()
    const line = lineOf(key)
    if (!isSecretName(name)) {
      config.errors.push({ line, name, message: `secret "${name}" is not a valid secret name (letters, digits, - . _; at most 253)` })
      continue
    }
    const value = pair.value as Node | null
    const holdsValue = value !== null && !(isScalar(value) && value.value === null)
    config.secrets.push({ name, line, valueLine: holdsValue ? lineOf(value) : undefined, holdsValue })
  }
  return config
}

/** `config.yaml:12: message`, the shape editors and CI logs link to. */
export function formatFinding (path: string, finding: Finding): string {
  return `${path}:${finding.line}: ${finding.message}`
}

/** For commands that need a usable config: the first problem, with its line, is the error. */
export function requireUsable (config: TrussConfig): void {
  const first = config.errors[0]
  if (first === undefined) return
  const more = config.errors.length > 1 ? ` (and ${config.errors.length - 1} more; see trove truss check)` : ''
  throw new CliError(`${formatFinding(config.path, first)}${more}`)
}
