// Checks the console makes before anything is sent, with the server's rules.

const NAME_PATTERN = /^[-._a-zA-Z0-9]+$/
export const MAX_NAME_LENGTH = 253
export const MAX_VALUE_BYTES = 65_536

/** Why a secret name would be refused (the rule of src/services/names.ts), or undefined. */
export function nameProblem (name: string): string | undefined {
  if (name.length === 0) return 'Enter a name.'
  if (name.length > MAX_NAME_LENGTH) return `A name is at most ${MAX_NAME_LENGTH} characters (this one has ${name.length}).`
  if (!NAME_PATTERN.test(name)) return 'A name may hold only letters, digits, "-", "_" and ".".'
  if (name === '.' || name === '..') return `"${name}" cannot be a name.`
  return undefined
}

/** Why a value would be refused, or undefined. */
export function valueProblem (value: string): string | undefined {
  const bytes = new TextEncoder().encode(value).length
  if (bytes > MAX_VALUE_BYTES) return `A value is at most ${MAX_VALUE_BYTES} bytes (this one has ${bytes}).`
  return undefined
}

const two = (n: number): string => String(n).padStart(2, '0')

/** A time in the browser's zone, to the second: 2026-11-26 18:07:05. */
export function formatTime (iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
}

/** A `<input type="datetime-local">` value as an ISO time, or undefined when empty. */
export function localToIso (local: string): string | undefined {
  if (local === '') return undefined
  const d = new Date(local)
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString()
}

/**
 * Puts text on the clipboard: the Clipboard API where the page is a secure context (https or
 * loopback), otherwise the older copy command on a hidden, read-only field.
 */
export async function copyText (text: string): Promise<boolean> {
  if (window.isSecureContext && navigator.clipboard !== undefined) {
    try {
      await navigator.clipboard.writeText(text)
      return true
    } catch {
      // fall through to the older way
    }
  }
  const field = document.createElement('textarea')
  field.value = text
  field.readOnly = true
  field.className = 'offscreen'
  document.body.append(field)
  field.select()
  let copied = false
  try {
    copied = document.execCommand('copy')
  } catch {
    copied = false
  }
  field.remove()
  return copied
}

/** A message carried to the next page after navigating (a delete, for example). */
let pendingNotice: string | undefined
export const notice = {
  set (message: string): void { pendingNotice = message },
  take (): string | undefined {
    const message = pendingNotice
    pendingNotice = undefined
    return message
  }
}
