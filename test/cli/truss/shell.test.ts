import { execFileSync } from 'node:child_process'
import fc from 'fast-check'
import t from 'tap'
import { exportLine, isShellVariable, shellQuote } from '../../../src/cli/truss/shell.js'

t.test('single-quote quoting survives sh for any value', async t => {
  t.equal(shellQuote("it's"), "'it'\\''s'")
  // many values, one shell: eval each line, then print the variables NUL-separated
  const values = fc.sample(fc.string({ unit: 'binary' }).filter(v => !v.includes('\0')), 200)
  values.push('', "'", "''", '\n', 'a\nb\n', '$(rm -rf /)', '`id`', '\\', '"', '$HOME', '!x')
  const script = values.map((v, i) => exportLine(`v${i}`, v)).join('\n') +
    `\nexec node -e 'process.stdout.write(JSON.stringify(Array.from({ length: ${values.length} }, (_, i) => process.env["TRUSS_SECRET_v" + i])))'`
  const back = JSON.parse(execFileSync('sh', ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH } })) as string[]
  t.same(back, values)
})

t.test('shell variable names', async t => {
  t.ok(isShellVariable('TRUSS_SECRET_hf_token'))
  t.notOk(isShellVariable('TRUSS_SECRET_hf-token'))
  t.notOk(isShellVariable('TRUSS_SECRET_a.b'))
})
