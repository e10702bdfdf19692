import t from 'tap'
import { parseDateTime } from '../../src/services/date-time.js'

t.test('ISO 8601 dates and date-times parse; days a month does not have do not roll over', async t => {
  const valid: [string, string][] = [
    ['2030-02-28T23:59:59Z', '2030-02-28T23:59:59.000Z'],
    ['2028-02-29T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['2000-02-29', '2000-02-29T00:00:00.000Z'],
    ['2030-06-30T12:00:00.123+02:00', '2030-06-30T10:00:00.123Z'],
    ['2030-12-31T23:59', '2030-12-31T23:59:00.000Z']
  ]
  for (const [text, iso] of valid) {
    const local = !/Z|[+-]\d{2}:?\d{2}$/.test(text) && text.includes('T')
    const at = parseDateTime(text)
    t.ok(Number.isFinite(at), text)
    if (!local) t.equal(new Date(at).toISOString(), iso, text)
  }
  for (const text of ['2030-02-30T00:00:00Z', '2030-06-31T00:00:00Z', '2100-02-29T00:00:00Z', '2029-02-29', '2030-04-31',
    '2030-13-01T00:00:00Z', '2030-00-10', '2030-01-00', '2030-01-01T25:00:00Z', 'March 7, 2030', 'soon', '', '2030-1-1']) {
    t.ok(Number.isNaN(parseDateTime(text)), JSON.stringify(text))
  }
})
