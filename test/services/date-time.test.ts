import t from 'tap'
import { parseDateTime } from '../../src/services/date-time.js'

t.test('ISO 8601 dates and date-times parse; days a month does not have do not roll over', async t => {
  // without a zone the time is local, as Date.parse reads it: compared with the local constructor
  const valid: [string, number][] = [
    ['2030-02-28T23:59:59Z', Date.UTC(2030, 1, 28, 23, 59, 59)],
    ['2028-02-29T00:00:00Z', Date.UTC(2028, 1, 29)],
    ['2000-02-29', Date.UTC(2000, 1, 29)],
    ['2030-06-30T12:00:00.123+02:00', Date.UTC(2030, 5, 30, 10, 0, 0, 123)],
    ['2030-12-31T23:59', new Date(2030, 11, 31, 23, 59).getTime()]
  ]
  for (const [text, at] of valid) t.equal(parseDateTime(text), at, text)
  for (const text of ['2030-02-30T00:00:00Z', '2030-06-31T00:00:00Z', '2100-02-29T00:00:00Z', '2029-02-29', '2030-04-31',
    '2030-13-01T00:00:00Z', '2030-00-10', '2030-01-00', '2030-01-01T25:00:00Z', 'March 7, 2030', 'soon', '', '2030-1-1']) {
    t.ok(Number.isNaN(parseDateTime(text)), JSON.stringify(text))
  }
})
