import { connect, type AddressInfo } from 'node:net'
import t from 'tap'
import { buildTestApp, TEST_KEY } from '../fixtures/app.js'

/** Sends raw bytes on a fresh connection and returns all the server wrote before closing it. */
async function raw (port: number, request: string): Promise<string> {
  const socket = connect(port, '127.0.0.1')
  let received = ''
  socket.on('data', chunk => { received += String(chunk) })
  socket.on('error', () => {})
  await new Promise(resolve => socket.once('connect', resolve))
  socket.write(request)
  await new Promise(resolve => socket.once('close', resolve))
  return received
}

t.test('requests the HTTP parser refuses get Trove\'s error body and headers', async t => {
  const { app } = await buildTestApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const auth = `Authorization: Bearer ${TEST_KEY}\r\n`
  const cases: [string, string, number, string][] = [
    ['headers over the limit', `GET /v1/secrets HTTP/1.1\r\nHost: x\r\n${auth}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'headers_too_large'],
    ['Content-Length and Transfer-Encoding both', `POST /v1/secrets HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400, 'invalid_body'],
    ['a Content-Length that is not a number', `POST /v1/secrets HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: ten\r\n\r\n`, 400, 'invalid_body'],
    ['a request line that is not HTTP', 'GARBAGE\r\n\r\n', 400, 'bad_request'],
    ['a header line without a colon', 'GET /v1/secrets HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n', 400, 'bad_request']
  ]
  for (const [what, request, status, code] of cases) {
    const answer = await raw(port, request)
    t.match(answer, new RegExp(`^HTTP/1\\.1 ${status} `), what)
    const [head = '', body = ''] = answer.split('\r\n\r\n')
    t.match(head, /\r\ncache-control: no-store\r\n/i, `${what}: no-store`)
    t.match(head, /\r\nx-content-type-options: nosniff\r\n/i, `${what}: nosniff`)
    t.match(head, /\r\ncontent-type: application\/json/i, `${what}: JSON`)
    t.same(Object.keys(JSON.parse(body)).sort(), ['code', 'error', 'message'], `${what}: Trove's error body`)
    t.match(JSON.parse(body), { code }, what)
  }
  t.match(await raw(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 200 /, 'the server still serves')
})
