import { deepStrictEqual } from 'node:assert/strict'
import fc from 'fast-check'
import t from 'tap'
import {
  parseSecretFile,
  SECRET_FILE_CONTENT_TYPES,
  SECRET_FILE_FORMATS,
  serializeSecretFile,
  type SecretFileFormat
} from '../../src/services/secret-files.js'

const AWKWARD_VALUES: Record<string, string> = {
  empty: '',
  spaces: '  padded  ',
  tab: '\tindented\t',
  lf: 'line one\nline two\n',
  crlf: 'line one\r\nline two\r\n',
  lone_cr: 'a\rb',
  leading_newlines: '\n\nafter blank lines',
  indented_lines: '  two spaces\n one space\n',
  blank_first_lines: ' \n\t\n  \nx\n',
  only_blank_lines: ' \n \n',
  hash: '# not a comment',
  inline_hash: 'a #b',
  equals: 'a=b==',
  only_equals: '=',
  single_quote: "it's",
  double_quote: 'say "hi"',
  backtick: '`uname`',
  every_quote: '\'"`\'"`',
  trailing_backslash: 'C:\\path\\',
  literal_backslash_n: 'not\\na newline',
  dollar: '$HOME and ${HOME}', // eslint-disable-line no-template-curly-in-string -- a literal ${...} is the point
  colon: 'key: value',
  unicode: 'ключ 🔑 é\u0301 \u2028 \u0085 \uFEFF',
  nul: 'before\u0000after',
  controls: '\u0001\u001b[31m\u007f',
  zero_padded: '007',
  yes: 'yes',
  true: 'true',
  null: 'null',
  tilde: '~',
  number: '1e3',
  dash: '- item',
  json_like: '{"a": [1, 2]}',
  yaml_markers: '---',
  big: 'x'.repeat(64 * 1024),
  pem: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n'
}
const AWKWARD = Object.entries(AWKWARD_VALUES).map(([name, value]) => ({ name, value }))

/** The names and values parse gives back, or the problems when there are any. */
function roundTrip (format: SecretFileFormat, entries: readonly { name: string, value: string }[]) {
  const { entries: parsed, problems } = parseSecretFile(format, serializeSecretFile(format, entries))
  return problems.length > 0 ? problems : parsed.map(({ name, value }) => ({ name, value }))
}

t.test('content types', async t => {
  t.same(Object.keys(SECRET_FILE_CONTENT_TYPES).sort(), [...SECRET_FILE_FORMATS].sort())
  t.equal(SECRET_FILE_CONTENT_TYPES.dotenv, 'text/plain; charset=utf-8')
  t.equal(SECRET_FILE_CONTENT_TYPES.json, 'application/json; charset=utf-8')
  t.equal(SECRET_FILE_CONTENT_TYPES.yaml, 'application/yaml; charset=utf-8')
})

for (const format of SECRET_FILE_FORMATS) {
  t.test(`${format}: awkward values round-trip exactly`, async t => {
    t.same(roundTrip(format, AWKWARD), AWKWARD)
    for (const entry of AWKWARD) t.same(roundTrip(format, [entry]), [entry], entry.name)
  })

  t.test(`${format}: awkward names round-trip exactly`, async t => {
    const names = ['007', 'true', 'null', 'yes', 'on', 'y', '1e3', '0x1F', '1_000', '.inf', '.', '..', '-', '-a', '__proto__', 'constructor', 'a.b-c_D']
    const entries = names.map(name => ({ name, value: name }))
    t.same(roundTrip(format, entries), entries)
  })

  t.test(`${format}: no secrets, and order is kept`, async t => {
    t.same(roundTrip(format, []), [])
    const entries = [{ name: 'b', value: '2' }, { name: '3', value: 'x' }, { name: 'a', value: '1' }, { name: '10', value: 'y' }]
    t.same(roundTrip(format, entries), entries, 'integer-like names stay where they were')
  })

  t.test(`${format}: serialize then parse is the identity (property)`, async t => {
    const unit = fc.constantFrom('\\', '"', "'", '`', '\n', '\r', '\t', ' ', '$', '#', '=', ':', '-', '{', '|', '\u0000', 'a', '0', '\u2028')
    const value = fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.string({ unit }))
    const entries = fc.uniqueArray(
      fc.record({ name: fc.stringMatching(/^[A-Za-z0-9_.-]{1,20}$/), value }),
      { selector: entry => entry.name, maxLength: 10 }
    )
    let runs = 0
    // Throwing (rather than t.same) lets fast-check shrink a failure to its smallest case.
    fc.assert(fc.property(entries, entries => {
      runs++
      deepStrictEqual(roundTrip(format, entries), entries.map(({ name, value }) => ({ name, value })))
    }), { numRuns: 300 })
    t.equal(runs, 300)
  })

  t.test(`${format}: parsing never throws (property)`, async t => {
    const unit = fc.constantFrom('\\', '"', "'", '\n', '\r', '\t', ' ', '#', '=', ':', '-', '{', '}', '[', ']', ',', '|', '&', '*', '!', 'a', '0', 'export ', 'A=', 'A: ', '"A": ', '---')
    fc.assert(fc.property(fc.oneof(fc.string({ unit }), fc.string({ unit: 'binary' }), fc.json()), text => {
      const { problems } = parseSecretFile(format, text)
      for (const problem of problems) if (problem.line !== undefined && !(problem.line >= 1)) throw new Error(`bad line ${problem.line}`)
    }), { numRuns: 300 })
    t.pass('no throw')
  })

  t.test(`${format}: a leading byte order mark is ignored`, async t => {
    const text = serializeSecretFile(format, [{ name: 'A', value: 'b' }])
    t.same(parseSecretFile(format, '\uFEFF' + text), parseSecretFile(format, text))
    t.same(parseSecretFile(format, '\uFEFF' + text).problems, [])
  })
}

t.test('dotenv: export writes one double-quoted line per secret', async t => {
  const text = serializeSecretFile('dotenv', [
    { name: 'PLAIN', value: 'hello' },
    { name: 'MESSY', value: 'a\\b"c\nd\re\tf$g\'h`i#j=k' }
  ])
  t.equal(text, 'PLAIN="hello"\nMESSY="a\\\\b\\"c\\nd\\re\\tf\\$g\'h`i#j=k"\n')
  t.equal(serializeSecretFile('dotenv', []), '')
})

t.test('dotenv: export refuses a name that would break the file', async t => {
  t.throws(() => serializeSecretFile('dotenv', [{ name: 'A=x\nB', value: 'v' }]), TypeError)
  t.throws(() => serializeSecretFile('dotenv', [{ name: '', value: 'v' }]), TypeError)
})

t.test('dotenv: parses a real-world file', async t => {
  const text = [
    '# Database',
    'DATABASE_URL=postgres://user:p#ss@db:5432/app   # the primary',
    '',
    'export API_KEY = sk-live-123',
    "SINGLE='literal \\n $HOME \"kept\"' # comment after a quote",
    'EMPTY=',
    'EMPTY_QUOTED=""',
    '  INDENTED=yes',
    'HASH_IN_VALUE=a#b',
    'BARE_HASH= #only a comment',
    'ESCAPES="tab\\there\\nnew \\\\ \\$HOME \\q"',
    'PRIVATE_KEY="-----BEGIN RSA PRIVATE KEY-----',
    'MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu',
    'KUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==',
    '-----END RSA PRIVATE KEY-----"',
    "MULTI_SINGLE='first",
    "second'",
    'export=is a name too',
    'dotted.name-with_dash=1',
    '# trailing comment',
    ''
  ].join('\n')
  const { entries, problems } = parseSecretFile('dotenv', text)
  t.same(problems, [])
  t.same(entries, [
    { name: 'DATABASE_URL', value: 'postgres://user:p#ss@db:5432/app', line: 2 },
    { name: 'API_KEY', value: 'sk-live-123', line: 4 },
    { name: 'SINGLE', value: 'literal \\n $HOME "kept"', line: 5 },
    { name: 'EMPTY', value: '', line: 6 },
    { name: 'EMPTY_QUOTED', value: '', line: 7 },
    { name: 'INDENTED', value: 'yes', line: 8 },
    { name: 'HASH_IN_VALUE', value: 'a#b', line: 9 },
    { name: 'BARE_HASH', value: '', line: 10 },
    { name: 'ESCAPES', value: 'tab\there\nnew \\ $HOME \\q', line: 11 },
    {
      name: 'PRIVATE_KEY',
      value: '-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\nKUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==\n-----END RSA PRIVATE KEY-----',
      line: 12
    },
    { name: 'MULTI_SINGLE', value: 'first\nsecond', line: 16 },
    { name: 'export', value: 'is a name too', line: 18 },
    { name: 'dotted.name-with_dash', value: '1', line: 19 }
  ])
})

t.test('dotenv: CRLF files read like LF files', async t => {
  const { entries, problems } = parseSecretFile('dotenv', '# c\r\nA=1\r\nB="x\r\ny"\r\nC=\'z\'\r\n')
  t.same(problems, [])
  t.same(entries, [{ name: 'A', value: '1', line: 2 }, { name: 'B', value: 'x\ny', line: 3 }, { name: 'C', value: 'z', line: 5 }])
})

t.test('dotenv: every problem, with its line', async t => {
  t.same(parseSecretFile('dotenv', 'A=1\njust some words\nB\n=x\nbad key=1\nC=2\n'), {
    entries: [{ name: 'A', value: '1', line: 1 }, { name: 'C', value: '2', line: 6 }],
    problems: [
      { line: 2, reason: 'expected NAME=value' },
      { line: 3, reason: 'expected NAME=value' },
      { line: 4, reason: 'expected NAME=value' },
      { line: 5, reason: 'expected NAME=value' }
    ]
  })
  t.same(parseSecretFile('dotenv', 'A=1\nB=2\nA=3\n').problems, [{ name: 'A', line: 3, reason: '"A" appears more than once' }])
  t.same(parseSecretFile('dotenv', 'A="x" y\nB=\'x\'y\nC="multi\nline" z\nD=ok\n'), {
    entries: [{ name: 'D', value: 'ok', line: 5 }],
    problems: [
      { name: 'A', line: 1, reason: 'unexpected text after the closing double quote' },
      { name: 'B', line: 2, reason: 'unexpected text after the closing single quote' },
      { name: 'C', line: 3, reason: 'unexpected text after the closing double quote' }
    ]
  })
  t.same(parseSecretFile('dotenv', 'A=1\nB="never closed\nC=2\n'), {
    entries: [{ name: 'A', value: '1', line: 1 }],
    problems: [{ name: 'B', line: 2, reason: 'unterminated double-quoted value' }]
  }, 'an unterminated quote swallows the rest of the file')
  t.same(parseSecretFile('dotenv', "A='never closed\nB=2").problems, [{ name: 'A', line: 1, reason: 'unterminated single-quoted value' }])
  t.same(parseSecretFile('dotenv', 'A="escaped quote at the end\\"').problems, [{ name: 'A', line: 1, reason: 'unterminated double-quoted value' }])
  t.same(parseSecretFile('dotenv', 'A="x"\nnope\nB="y"').problems, [{ line: 2, reason: 'expected NAME=value' }], 'lines are counted after multi-line values too')
})

t.test('json: export is pretty-printed with a trailing newline', async t => {
  t.equal(serializeSecretFile('json', [{ name: 'A', value: 'x' }, { name: 'B', value: 'y"\n' }]), '{\n  "A": "x",\n  "B": "y\\"\\n"\n}\n')
  t.equal(serializeSecretFile('json', []), '{}\n')
})

t.test('json: parses keys in order, with their lines', async t => {
  const text = '{\n  "A": "x",\n  "B":\n    "y", "C": "{\\"nested\\": [1]}"\n}\n'
  t.same(parseSecretFile('json', text), {
    entries: [{ name: 'A', value: 'x', line: 2 }, { name: 'B', value: 'y', line: 3 }, { name: 'C', value: '{"nested": [1]}', line: 4 }],
    problems: []
  })
})

t.test('json: every problem', async t => {
  t.same(parseSecretFile('json', '{\n  "s": "ok",\n  "n": 1,\n  "b": true,\n  "z": null,\n  "o": {"s": "x"},\n  "a": ["x"]\n}'), {
    entries: [{ name: 's', value: 'ok', line: 2 }],
    problems: [
      { name: 'n', line: 3, reason: 'the value of "n" must be a string, not a number' },
      { name: 'b', line: 4, reason: 'the value of "b" must be a string, not a boolean' },
      { name: 'z', line: 5, reason: 'the value of "z" must be a string, not null' },
      { name: 'o', line: 6, reason: 'the value of "o" must be a string, not an object' },
      { name: 'a', line: 7, reason: 'the value of "a" must be a string, not a list' }
    ]
  })
  t.same(parseSecretFile('json', '{"A": "1",\n "B": "2",\n "A": "3"}').problems, [{ name: 'A', line: 3, reason: '"A" appears more than once' }])
  const notObjects: [string, string][] = [['["a"]', 'a list'], ['"a"', 'a string'], ['null', 'null'], ['1', 'a number']]
  for (const [text, kind] of notObjects) {
    t.same(parseSecretFile('json', text), { entries: [], problems: [{ reason: `the file must hold an object of names to values, not ${kind}` }] }, text)
  }
  const trailingComma = parseSecretFile('json', '{\n  "A": "1",\n}\n')
  t.same(trailingComma.entries, [])
  t.match(trailingComma.problems, [{ line: 3, reason: /^not valid JSON: / }])
  t.equal(trailingComma.problems.length, 1)
  t.match(parseSecretFile('json', '').problems, [{ reason: /^not valid JSON: / }])
  t.match(parseSecretFile('json', '{\n"A": "1"\n}x').problems, [{ line: 3, reason: /^not valid JSON: [^0-9]*$/ }], 'the position is given as a line')
  for (const text of ['{"A": "hunter2" oops}', 'hunter2', `hunter2 ${'x'.repeat(100)}`, '{"A": hunter2}']) {
    const { problems } = parseSecretFile('json', text)
    t.equal(problems.length, 1)
    t.notMatch(problems[0]?.reason ?? '', /hunter2/, `the reason does not quote ${text.slice(0, 20)}`)
  }
})

t.test('yaml: export quotes only what must be quoted', async t => {
  const text = serializeSecretFile('yaml', [
    { name: 'PLAIN', value: 'hello world' },
    { name: 'ZERO', value: '007' },
    { name: 'YES', value: 'yes' },
    { name: 'OFF', value: 'off' },
    { name: 'EMPTY', value: '' },
    { name: 'EQUALS', value: '=' },
    { name: 'PEM', value: '-----BEGIN-----\nabc\n-----END-----\n' },
    { name: 'true', value: 'x' }
  ])
  t.equal(text, [
    'PLAIN: hello world',
    'ZERO: "007"',
    '"YES": "yes"',
    '"OFF": "off"',
    'EMPTY: ""',
    'EQUALS: "="',
    'PEM: |',
    '  -----BEGIN-----',
    '  abc',
    '  -----END-----',
    '"true": x',
    ''
  ].join('\n'))
  t.equal(serializeSecretFile('yaml', []), '{}\n')
  const long = 'word '.repeat(100).trim()
  t.equal(serializeSecretFile('yaml', [{ name: 'LONG', value: long }]), `LONG: ${long}\n`, 'long values are not folded')
})

t.test('yaml: parses a real-world file', async t => {
  const text = [
    '# comment',
    'DATABASE_URL: postgres://db/app # inline comment',
    "SINGLE: 'it''s'",
    'DOUBLE: "tab\\there"',
    'PEM: |',
    '  line one',
    '  line two',
    'FOLDED: >-',
    '  one',
    '  two',
    'base: &base shared',
    'copy: *base',
    '007: zero-padded key',
    '1.0: float-looking key',
    'STR: !!str 123',
    ''
  ].join('\n')
  t.same(parseSecretFile('yaml', text), {
    entries: [
      { name: 'DATABASE_URL', value: 'postgres://db/app', line: 2 },
      { name: 'SINGLE', value: "it's", line: 3 },
      { name: 'DOUBLE', value: 'tab\there', line: 4 },
      { name: 'PEM', value: 'line one\nline two\n', line: 5 },
      { name: 'FOLDED', value: 'one two', line: 8 },
      { name: 'base', value: 'shared', line: 11 },
      { name: 'copy', value: 'shared', line: 12 },
      { name: '007', value: 'zero-padded key', line: 13 },
      { name: '1.0', value: 'float-looking key', line: 14 },
      { name: 'STR', value: '123', line: 15 }
    ],
    problems: []
  })
  t.same(parseSecretFile('yaml', ''), { entries: [], problems: [] }, 'an empty file is no secrets')
  t.same(parseSecretFile('yaml', '# nothing here\n'), { entries: [], problems: [] })
  t.same(parseSecretFile('yaml', '{"A": "json is yaml"}').entries, [{ name: 'A', value: 'json is yaml', line: 1 }])
})

t.test('yaml: every problem', async t => {
  t.same(parseSecretFile('yaml', 's: ok\nn: 8080\nb: true\nz: null\nblank:\no: {a: b}\nl:\n  - x\nref: &r [1]\nalias: *r\n'), {
    entries: [{ name: 's', value: 'ok', line: 1 }],
    problems: [
      { name: 'n', line: 2, reason: 'the value of "n" must be a string, not a number' },
      { name: 'b', line: 3, reason: 'the value of "b" must be a string, not a boolean' },
      { name: 'z', line: 4, reason: 'the value of "z" must be a string, not null' },
      { name: 'blank', line: 5, reason: 'the value of "blank" must be a string, not null' },
      { name: 'o', line: 6, reason: 'the value of "o" must be a string, not an object' },
      { name: 'l', line: 7, reason: 'the value of "l" must be a string, not a list' },
      { name: 'ref', line: 9, reason: 'the value of "ref" must be a string, not a list' },
      { name: 'alias', line: 10, reason: 'the value of "alias" must be a string, not a list' }
    ]
  })
  t.same(parseSecretFile('yaml', 'A: 1\nB: "2"\nA: "3"\n007: x\n"007": y\n').problems, [
    { name: 'A', line: 1, reason: 'the value of "A" must be a string, not a number' },
    { name: 'A', line: 3, reason: '"A" appears more than once' },
    { name: '007', line: 5, reason: '"007" appears more than once' }
  ])
  t.same(parseSecretFile('yaml', '- a\n- b\n'), { entries: [], problems: [{ line: 1, reason: 'the file must hold a mapping of names to values, not a list' }] })
  t.same(parseSecretFile('yaml', 'just a string\n'), { entries: [], problems: [{ line: 1, reason: 'the file must hold a mapping of names to values, not a string' }] })
  t.same(parseSecretFile('yaml', 'A: x\n[a]: y\n').problems, [{ line: 2, reason: 'a key must be a plain name' }])

  t.same(parseSecretFile('yaml', 'A: &a x\nB: *b\n').problems, [{ name: 'B', line: 2, reason: '*b refers to no anchor' }])

  // Syntax errors come from the yaml package, alone: the structure after one is only a guess.
  t.same(parseSecretFile('yaml', 'A: ok\n\tB: x\n'), { entries: [], problems: [{ line: 2, reason: 'Tabs are not allowed as indentation' }] })
  t.match(parseSecretFile('yaml', 'A: ok\nB: [1,\nC: x\n'), { entries: [], problems: [{ line: 3, reason: /end with a \]/ }] })
  t.match(parseSecretFile('yaml', 'A: ok\nB x\nC: y\n'), { entries: [], problems: [{ line: 2, reason: /followed by map values/ }] })
  t.match(parseSecretFile('yaml', 'A: ok\nB: "never closed\nC: x\n'), { entries: [], problems: [{ reason: /closing "quote/ }] })
  t.match(parseSecretFile('yaml', 'A: x\n---\nB: y\n'), { entries: [], problems: [{ line: 2, reason: /multiple documents/ }] })
})
