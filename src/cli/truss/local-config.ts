import { mkdir, readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { type Document, isMap, isScalar, parseDocument } from 'yaml'
import { CliError, describeSystemError } from '../errors.js'
import { writeFileAtomic } from '../files.js'

/**
 * `~/.truss/config.yaml` is where Truss looks for secret values on local runs
 * (`{secrets: {name: value}, use_sudo: …}`). Only entries of its `secrets:` map change: the
 * document is edited in place, so comments, key order and other settings stay as they were.
 */
export function defaultTrussConfig (): string {
  return join(homedir(), '.truss', 'config.yaml')
}

export async function writeLocalSecrets (file: string, values: ReadonlyMap<string, string>): Promise<void> {
  let text = ''
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw new CliError(`cannot read ${file}: ${describeSystemError(err)}`)
  }
  // a plain Document, not Document.Parsed: an empty file gets a new mapping as its contents
  const doc: Document = parseDocument(text)
  if (doc.errors.length > 0) {
    // never rewrite a file we cannot read back: it would lose whatever we failed to parse
    throw new CliError(`${file} is not valid YAML (${doc.errors[0]?.message.split('\n')[0] ?? ''}); fix it first, nothing was written`)
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    doc.contents = doc.createNode({})
  } else if (!isMap(doc.contents)) {
    throw new CliError(`${file} is not a YAML mapping; nothing was written`)
  }
  const section = doc.get('secrets', true)
  if (section === undefined || (isScalar(section) && section.value === null)) {
    doc.set('secrets', doc.createNode({}))
  } else if (!isMap(section)) {
    throw new CliError(`the secrets: entry of ${file} is not a mapping; nothing was written`)
  }
  for (const [name, value] of values) doc.setIn(['secrets', name], value)

  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 })
    // it now holds secret values: readable by its owner only
    await writeFileAtomic(file, doc.toString(), 0o600)
  } catch (err) {
    throw new CliError(`cannot write ${file}: ${describeSystemError(err)}`)
  }
}
