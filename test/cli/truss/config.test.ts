import t from 'tap'
import { parseTrussConfig } from '../../../src/cli/truss/config.js'

t.test('declared secrets with the lines of their names and values', async t => {
  const config = parseTrussConfig('c.yaml', [
    'model_name: x',
    'secrets:',
    '  a: null',
    '  b: ~',
    '  c:',
    '  123: null',
    '  d: |',
    '    a block',
    '  e: ""',
    '  f: *anchor',
    'other: &anchor v'
  ].join('\n'))
  t.same(config.errors, [])
  t.same(config.secrets.map(s => [s.name, s.line, s.holdsValue, s.valueLine]), [
    ['a', 3, false, undefined],
    ['b', 4, false, undefined],
    ['c', 5, false, undefined],
    ['123', 6, false, undefined],
    ['d', 7, true, 7],
    ['e', 9, true, 9],
    ['f', 10, true, 10]
  ])
})

t.test('configs that declare nothing, and configs that are wrong', async t => {
  for (const text of ['', '# only a comment\n', 'model_name: x\n', 'secrets:\n', 'secrets: null\n', 'secrets: {}\n']) {
    t.same(parseTrussConfig('c.yaml', text), { path: 'c.yaml', secrets: [], errors: [] }, JSON.stringify(text))
  }
  t.match(parseTrussConfig('c.yaml', '- a\n- b\n').errors, [{ line: 1, message: /must be a YAML mapping/ }])
  t.match(parseTrussConfig('c.yaml', 'x: 1\nsecrets: token\n').errors, [{ line: 2, message: /must be a mapping/ }])
  t.match(parseTrussConfig('c.yaml', 'secrets:\n  ok: null\n  "bad name": null\n  ../up: null\n').errors, [
    { line: 3, name: 'bad name', message: /not a valid secret name/ },
    { line: 4, name: '../up' }
  ])
  t.match(parseTrussConfig('c.yaml', 'a: [1, 2\nb: 3\n').errors, [{ message: /^not valid YAML: / }])
})
