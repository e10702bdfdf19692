/** A date, optionally with a time (seconds and fraction optional) and a zone: what the API takes. */
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/

/**
 * An ISO 8601 date or date-time as milliseconds since the epoch, or NaN when it is not one.
 * Date.parse alone takes other shapes ("March 7, 2030") and rolls a day its month does not have
 * over into the next (2030-02-30 became 2030-03-02): a key would live longer than asked.
 */
export function parseDateTime (text: string): number {
  const match = ISO_8601.exec(text)
  if (match === null) return NaN
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  const calendar = new Date(0)
  calendar.setUTCFullYear(year, month - 1, day)
  if (calendar.getUTCFullYear() !== year || calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return NaN
  return Date.parse(text)
}
