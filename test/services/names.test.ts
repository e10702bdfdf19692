import t from 'tap'
import { secretNameKey, secretNameProblem } from '../../src/services/names.js'

t.test('accepts the names Truss accepts', async t => {
  for (const name of ['a', 'hf_access_token', 'hf-access-token', 'my.secret', '...a', 'A-1_b.C', 'x'.repeat(253)]) {
    t.equal(secretNameProblem(name), undefined, name)
  }
})

t.test('refuses the rest, saying why', async t => {
  t.match(secretNameProblem(''), /empty/)
  t.match(secretNameProblem('.'), /not a valid/)
  t.match(secretNameProblem('..'), /not a valid/)
  t.match(secretNameProblem('x'.repeat(254)), /at most 253/)
  for (const name of ['a b', 'a/b', 'a:b', 'ключ', 'a\u0000b', 'DOCKER_REGISTRY_ghcr.io/x']) {
    t.match(secretNameProblem(name), /only letters, digits/, JSON.stringify(name))
  }
})

t.test('every non-alphanumeric character is equivalent; case is kept', async t => {
  t.equal(secretNameKey('hf-access-token'), secretNameKey('hf_access_token'))
  t.equal(secretNameKey('hf.access.token'), secretNameKey('hf_access_token'))
  t.not(secretNameKey('HF_ACCESS_TOKEN'), secretNameKey('hf_access_token'))
  t.not(secretNameKey('a__b'), secretNameKey('a_b'), 'one character maps to one character')
})
