/**
 * Secret names follow the rule Truss checks on the client (Kubernetes object names):
 * `^[-._a-zA-Z0-9]+$`, 1 to 253 characters, not `.` or `..`.
 */
export const SECRET_NAME_PATTERN = /^[-._a-zA-Z0-9]+$/
export const MAX_SECRET_NAME_LENGTH = 253

/** Why a name is not acceptable, or undefined when it is. */
export function secretNameProblem (name: string): string | undefined {
  if (name.length === 0) return 'a secret name must not be empty'
  if (name.length > MAX_SECRET_NAME_LENGTH) return `a secret name must be at most ${MAX_SECRET_NAME_LENGTH} characters`
  if (!SECRET_NAME_PATTERN.test(name)) return 'a secret name may hold only letters, digits, "-", "_" and "."'
  if (name === '.' || name === '..') return `"${name}" is not a valid secret name`
  return undefined
}

/**
 * Baseten treats every non-alphanumeric character as the same: hf-access-token and
 * hf_access_token are one secret. The key keeps case, as Truss names are case sensitive.
 */
export function secretNameKey (name: string): string {
  return name.replace(/[^a-zA-Z0-9]/g, '_')
}
