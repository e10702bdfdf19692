import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { startCliSession } from '../fixtures/cli.js'

// 0xff is never part of UTF-8: decoded as it was, it reached Trove as U+FFFD
const NOT_UTF8 = Buffer.from([0x61, 0xff, 0xfe, 0x62])

t.test('a value or a file that is not UTF-8 is refused, not stored with U+FFFD', async t => {
  const { trove } = await startCliSession(t)
  let r = await trove(['secret', 'set', 'binary'], { input: NOT_UTF8 })
  t.equal(r.code, 1)
  t.equal(r.stderr, 'trove: the value on standard input is not UTF-8 text; Trove stores values as text (encode binary values, e.g. with base64)\n')
  t.equal((await trove(['secret', 'get', 'binary'])).code, 1, 'nothing was set')

  const file = join(t.testdir(), 'latin1.env')
  writeFileSync(file, Buffer.concat([Buffer.from('GOOD=1\nRAW='), NOT_UTF8, Buffer.from('\n')]))
  r = await trove(['import', file])
  t.equal(r.code, 1)
  t.equal(r.stderr, `trove: ${file} is not UTF-8 text; Trove stores values as text (encode binary values, e.g. with base64)\n`)
  r = await trove(['import', '-', '--format', 'dotenv'], { input: Buffer.concat([Buffer.from('RAW='), NOT_UTF8]) })
  t.equal(r.code, 1)
  t.match(r.stderr, /^trove: standard input is not UTF-8 text/)
  t.equal((await trove(['secret', 'get', 'GOOD'])).code, 1, 'nothing was imported')

  r = await trove(['secret', 'set', 'text'], { input: Buffer.from('ключ 🔑\n') })
  t.equal(r.code, 0, 'UTF-8 beyond ASCII is text')
  t.equal((await trove(['secret', 'get', 'text'])).stdout, 'ключ 🔑')
})
