/**
 * The file formats of import and export. Kept apart from the codecs (secret-files.ts), which load
 * the YAML parser: routes need these names at start-up, the codecs only when a file moves.
 */
export const SECRET_FILE_FORMATS = ['dotenv', 'json', 'yaml'] as const
export type SecretFileFormat = typeof SECRET_FILE_FORMATS[number]

export const SECRET_FILE_CONTENT_TYPES: Record<SecretFileFormat, string> = {
  dotenv: 'text/plain; charset=utf-8',
  json: 'application/json; charset=utf-8',
  yaml: 'application/yaml; charset=utf-8'
}
