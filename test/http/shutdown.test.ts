import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { buildTestApp, TEST_KEY } from '../fixtures/app.js'

t.test('a request arriving while the server shuts down is refused with 503 shutting_down', async t => {
  const { app } = await buildTestApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const socket = connect(port, '127.0.0.1')
  await new Promise(resolve => socket.once('connect', resolve))
  let received = ''
  socket.on('data', chunk => { received += String(chunk) })
  const ended = new Promise(resolve => socket.once('close', resolve))

  // an upsert whose body is still arriving when the close begins: it is in flight, so the
  // close waits for it, and a second request pipelined behind it meets the shutdown
  const body = JSON.stringify({ name: 'in_flight', value: 'v' })
  socket.write(`POST /v1/secrets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEST_KEY}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`)
  await new Promise(resolve => setTimeout(resolve, 100))
  const closed = app.close()
  await new Promise(resolve => setTimeout(resolve, 50))
  socket.write(`${body.slice(5)}GET /v1/secrets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEST_KEY}\r\n\r\n`)
  await ended
  await closed

  const answers = received.split(/(?=HTTP\/1\.1 )/)
  t.match(answers[0], /^HTTP\/1\.1 200 /, 'the request in flight is answered')
  t.match(answers[1], /^HTTP\/1\.1 503 /, 'the one after it is refused')
  t.match(answers[1], /\r\nretry-after: 1\r\n/i)
  t.match(answers[1], /"code":"shutting_down"/)
})
