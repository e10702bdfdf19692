import { Document, isAlias, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, Scalar, visit } from 'yaml'
import { SECRET_FILE_CONTENT_TYPES, SECRET_FILE_FORMATS, type SecretFileFormat } from './secret-file-formats.js'

/**
 * Codecs for importing and exporting secrets as files. The parsers check only what the format
 * needs (syntax, string values, duplicate keys); whether a name is a valid secret name is the
 * caller's business.
 */
export { SECRET_FILE_CONTENT_TYPES, SECRET_FILE_FORMATS, type SecretFileFormat }

export interface SecretFileEntry { name: string, value: string, line?: number }
export interface SecretFileProblem { name?: string, line?: number, reason: string }
interface Parsed { entries: SecretFileEntry[], problems: SecretFileProblem[] }

/** Parses a file; never throws on bad input, returns every problem it finds. */
export function parseSecretFile (format: SecretFileFormat, text: string): { entries: SecretFileEntry[], problems: SecretFileProblem[] } {
  // Editors on Windows like to start UTF-8 files with a byte order mark; it is never part of a name.
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text
  switch (format) {
    case 'dotenv': return parseDotenv(body)
    case 'json': return parseJson(body)
    case 'yaml': return parseYaml(body)
  }
}

/**
 * Serializes entries so that parseSecretFile(format, serializeSecretFile(format, entries)) gives
 * back exactly the same names and values. Names must be distinct (they are, for Trove secrets).
 */
export function serializeSecretFile (format: SecretFileFormat, entries: readonly { name: string, value: string }[]): string {
  switch (format) {
    case 'dotenv': return serializeDotenv(entries)
    case 'json': return serializeJson(entries)
    case 'yaml': return serializeYaml(entries)
  }
}

/** Words for a value that is not a string, for problem messages. */
function kindOf (value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'an object'
  return `a ${typeof value}`
}

function notAString (name: string, value: unknown, line?: number): SecretFileProblem {
  return { name, line, reason: `the value of "${name}" must be a string, not ${kindOf(value)}` }
}

function duplicate (name: string, line?: number): SecretFileProblem {
  return { name, line, reason: `"${name}" appears more than once` }
}

// ---------------------------------------------------------------------------------------------
// dotenv
//
// Hand-written rather than the `dotenv` package: its parse cannot round-trip a value holding all
// three quote kinds, one ending in a backslash, or a literal backslash-n inside double quotes
// (it always turns that into a newline), so an export could not be imported back unchanged.
// ---------------------------------------------------------------------------------------------

const DOTENV_KEY = /^[A-Za-z0-9_.-]+$/
const DOTENV_ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z0-9_.-]+)\s*=(.*)$/s
/** What may follow a closing quote: nothing, or a comment. */
const AFTER_QUOTE = /^\s*(?:#.*)?$/s
const DOTENV_UNESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\', $: '$' }

/** A value read from the lines, and the index of the line after it. */
interface DotenvValue { value: string, next: number }

function parseDotenv (text: string): Parsed {
  // CRLF files are read as LF; the serializer escapes every CR, so no exported value depends on this.
  const lines = text.replace(/\r\n/g, '\n').split('\n')
  const entries: SecretFileEntry[] = []
  const problems: SecretFileProblem[] = []
  const seen = new Set<string>()
  let i = 0
  while (i < lines.length) {
    const line = lines[i] ?? ''
    const lineNumber = i + 1
    const trimmed = line.trim()
    if (trimmed === '' || trimmed.startsWith('#')) {
      i++
      continue
    }
    const match = DOTENV_ASSIGNMENT.exec(line)
    if (match === null) {
      problems.push({ line: lineNumber, reason: 'expected NAME=value' })
      i++
      continue
    }
    const name = match[1] ?? ''
    const read = readDotenvValue(lines, i, match[2] ?? '')
    if ('reason' in read) {
      problems.push({ name, line: lineNumber, reason: read.reason })
      // An unterminated quote swallows the rest of the file: nothing after it can be trusted.
      if (read.next === undefined) break
      i = read.next
      continue
    }
    if (seen.has(name)) problems.push(duplicate(name, lineNumber))
    else entries.push({ name, value: read.value, line: lineNumber })
    seen.add(name)
    i = read.next
  }
  return { entries, problems }
}

/** Reads the value that starts on lines[start] with `rest` (the text after `=`). */
function readDotenvValue (lines: readonly string[], start: number, rest: string): DotenvValue | { reason: string, next?: number } {
  const quoted = rest.trimStart()
  if (quoted.startsWith("'") || quoted.startsWith('"')) {
    const quote = quoted[0] === "'" ? 'single' : 'double'
    const closed = quote === 'single' ? readSingleQuoted(lines, start, quoted.slice(1)) : readDoubleQuoted(lines, start, quoted.slice(1))
    if (closed === undefined) return { reason: `unterminated ${quote}-quoted value` }
    if (!AFTER_QUOTE.test(closed.after)) return { reason: `unexpected text after the closing ${quote} quote`, next: closed.next }
    return { value: closed.value, next: closed.next }
  }
  // Unquoted: a comment starts at a `#` after whitespace, so `a#b` keeps its `#`.
  const comment = rest.search(/\s#/)
  return { value: (comment === -1 ? rest : rest.slice(0, comment)).trim(), next: start + 1 }
}

interface Closed { value: string, after: string, next: number }

/** Single quotes are literal: the value runs to the next `'`, across lines if need be. */
function readSingleQuoted (lines: readonly string[], start: number, first: string): Closed | undefined {
  let text = first
  for (let i = start; i < lines.length; i++) {
    if (i > start) text += '\n' + (lines[i] ?? '')
    const end = text.indexOf("'")
    if (end !== -1) return { value: text.slice(0, end), after: text.slice(end + 1), next: i + 1 }
  }
  return undefined
}

/** Double quotes may span lines and know a few escapes; any other backslash stays as it is. */
function readDoubleQuoted (lines: readonly string[], start: number, first: string): Closed | undefined {
  let value = ''
  let text = first
  for (let i = start; i < lines.length; i++) {
    if (i > start) text = lines[i] ?? ''
    for (let j = 0; j < text.length; j++) {
      const char = text[j] ?? ''
      if (char === '"') return { value, after: text.slice(j + 1), next: i + 1 }
      if (char !== '\\') {
        value += char
        continue
      }
      const escaped = text[j + 1]
      const unescaped = escaped === undefined ? undefined : DOTENV_UNESCAPES[escaped]
      if (unescaped === undefined) {
        value += char
      } else {
        value += unescaped
        j++
      }
    }
    value += '\n'
  }
  return undefined
}

const DOTENV_ESCAPES: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t', $: '\\$' }

function serializeDotenv (entries: readonly { name: string, value: string }[]): string {
  return entries.map(({ name, value }) => {
    // A name outside the key grammar could smuggle extra lines (and so extra secrets) into the file.
    if (!DOTENV_KEY.test(name)) throw new TypeError(`"${name}" cannot be written as a dotenv name`)
    // `$` is escaped too, so tools that expand ${VAR} in double quotes (dotenv-expand, Compose) leave values alone.
    return `${name}="${value.replace(/[\\"\n\r\t$]/g, char => DOTENV_ESCAPES[char] ?? char)}"\n`
  }).join('')
}

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

function parseJson (text: string): Parsed {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    return { entries: [], problems: [jsonSyntaxProblem(text, error)] }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { entries: [], problems: [{ reason: `the file must hold an object of names to values, not ${kindOf(parsed)}` }] }
  }
  const values = new Map(Object.entries(parsed))
  const entries: SecretFileEntry[] = []
  const problems: SecretFileProblem[] = []
  const seen = new Set<string>()
  // JSON.parse silently keeps the last of duplicate keys, so the keys are read again from the text.
  for (const { name, line } of jsonTopLevelKeys(text)) {
    const value = values.get(name)
    if (seen.has(name)) problems.push(duplicate(name, line))
    else if (typeof value !== 'string') problems.push(notAString(name, value, line))
    else entries.push({ name, value, line })
    seen.add(name)
  }
  return { entries, problems }
}

/**
 * The top-level keys in order, duplicates included, with their lines. Only ever given text that
 * JSON.parse accepted, so a string followed by `:` is a key and every newline is outside strings.
 */
function jsonTopLevelKeys (text: string): { name: string, line: number }[] {
  const keys: { name: string, line: number }[] = []
  let depth = 0
  let line = 1
  for (const [token, key, colon] of text.matchAll(/("[^"\\]*(?:\\.[^"\\]*)*")(\s*:)?|[{}[\]\n]/g)) {
    if (token === '\n') line++
    else if (token === '{' || token === '[') depth++
    else if (token === '}' || token === ']') depth--
    else if (depth === 1 && key !== undefined && colon !== undefined) keys.push({ name: JSON.parse(key) as string, line })
    if (colon !== undefined) line += colon.split('\n').length - 1
  }
  return keys
}

/** V8's message, minus the position (given as a line) and the quoted input, which may hold secrets. */
function jsonSyntaxProblem (text: string, error: unknown): SecretFileProblem {
  const message = error instanceof Error ? error.message : String(error)
  const position = /at position (\d+)/.exec(message)?.[1]
  const line = position === undefined ? undefined : text.slice(0, Number(position)).split('\n').length
  const detail = message.replace(/, ".*is not valid JSON$/s, '').replace(/ (?:in JSON )?at position \d+.*$/s, '')
  return { line, reason: `not valid JSON: ${detail}` }
}

/** Written by hand, as a JS object would move integer-like names such as "3" to the front. */
function serializeJson (entries: readonly { name: string, value: string }[]): string {
  if (entries.length === 0) return '{}\n'
  const members = entries.map(({ name, value }) => `  ${JSON.stringify(name)}: ${JSON.stringify(value)}`)
  return `{\n${members.join(',\n')}\n}\n`
}

// ---------------------------------------------------------------------------------------------
// YAML
// ---------------------------------------------------------------------------------------------

function parseYaml (text: string): Parsed {
  const lineCounter = new LineCounter()
  // Duplicate keys are found below by name rather than by uniqueKeys: the problem can then name the
  // key, and `007:` and `"007":` (a number and a string to YAML) are caught as the same name.
  const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false, lineCounter })
  const lineOf = (offset: number | undefined): number | undefined => offset === undefined ? undefined : lineCounter.linePos(offset).line
  const problems: SecretFileProblem[] = doc.errors.map(error => ({ line: lineOf(error.pos[0]), reason: error.message }))
  const entries: SecretFileEntry[] = []
  // After a syntax error the structure is the parser's guess, and problems found in it would mislead.
  if (problems.length > 0) return { entries, problems }
  // A file of nothing but comments is an empty set of secrets, not a malformed one.
  if (doc.contents === null) return { entries, problems }
  if (!isMap(doc.contents)) {
    problems.push({ line: lineOf(doc.contents.range?.[0]), reason: `the file must hold a mapping of names to values, not ${kindOf(yamlValue(doc, doc.contents))}` })
    return { entries, problems }
  }
  const seen = new Set<string>()
  for (const { key, value } of doc.contents.items) {
    const line = lineOf(isNode(key) ? key.range?.[0] : undefined)
    const name = yamlName(key)
    if (name === undefined) {
      problems.push({ line, reason: 'a key must be a plain name' })
      continue
    }
    const resolved = yamlValue(doc, value)
    if (isAlias(value) && resolved === undefined) problems.push({ name, line, reason: `*${value.source} refers to no anchor` })
    else if (seen.has(name)) problems.push(duplicate(name, line))
    else if (typeof resolved === 'string') entries.push({ name, value: resolved, line })
    else problems.push(notAString(name, resolved, line))
    seen.add(name)
  }
  return { entries, problems }
}

/**
 * Names are strings, so a key YAML would read as a number or boolean (`007:`, `1.0:`, `true:`)
 * is taken as written rather than as `7`, `1` or `true`.
 */
function yamlName (key: unknown): string | undefined {
  if (!isScalar(key)) return undefined
  return typeof key.value === 'string' ? key.value : key.source ?? String(key.value)
}

/** The JS value of a node, near enough to tell strings from the rest. */
function yamlValue (doc: Document, node: unknown): unknown {
  if (isAlias(node)) {
    const target = node.resolve(doc)
    return target === undefined ? undefined : yamlValue(doc, target) // undefined: an alias to no anchor
  }
  if (isScalar(node)) return node.value
  if (isMap(node)) return {}
  if (isSeq(node)) return []
  return null // `name:` with nothing after it
}

/**
 * Values the yaml package would write in a form that does not read back the same:
 * - a plain `=` is YAML 1.1's value tag, which PyYAML refuses to load;
 * - a block scalar (`|`) whose first lines hold only spaces or tabs loses them, as a reader takes
 *   them for indentation (yaml 2.9 writes " \n" as `|+` with no indentation indicator).
 */
function needsDoubleQuotes (value: string): boolean {
  return value === '=' || /^(?:[ \t]*\n)*[ \t]+(?:\n|$)/.test(value)
}

function serializeYaml (entries: readonly { name: string, value: string }[]): string {
  // compat: also quote what a YAML 1.1 reader (PyYAML, older Go yaml) would not read as a string,
  // such as yes, on, 0755 or 1:20; YAML 1.2 ambiguities like "007" and "true" are quoted anyway.
  // lineWidth 0: never fold long values across lines.
  const doc = new Document(new Map(entries.map(({ name, value }) => [name, value])), { compat: 'yaml-1.1' })
  visit(doc, {
    Scalar (_, node) {
      if (typeof node.value === 'string' && needsDoubleQuotes(node.value)) node.type = Scalar.QUOTE_DOUBLE
    }
  })
  return doc.toString({ lineWidth: 0 })
}
