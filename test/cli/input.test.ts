import t from 'tap'
import { stripOneNewline } from '../../src/cli/input.js'

t.test('exactly one trailing newline is removed', async t => {
  t.equal(stripOneNewline('v\n'), 'v')
  t.equal(stripOneNewline('v\r\n'), 'v')
  t.equal(stripOneNewline('v\n\n'), 'v\n')
  t.equal(stripOneNewline('v\r'), 'v\r')
  t.equal(stripOneNewline('v'), 'v')
  t.equal(stripOneNewline('\n'), '')
  t.equal(stripOneNewline(''), '')
})
