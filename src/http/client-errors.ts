import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import { errorBody } from '../errors.js'

/** What Node's HTTP parser refused, as Trove's status, code and message. */
function describe (code: string | undefined): [status: number, code: string, message: string] {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW': return [431, 'headers_too_large', 'the request headers are too large']
    case 'ERR_HTTP_REQUEST_TIMEOUT': return [408, 'request_timeout', 'the request did not arrive in time']
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_TRANSFER_ENCODING': return [400, 'invalid_body', 'the Content-Length or Transfer-Encoding is not valid']
    default: return [400, 'bad_request', 'the request is not valid HTTP']
  }
}

/**
 * Requests Node's HTTP parser refuses never reach Fastify's routes or error handler; Fastify's
 * own answer has another body (`{"error","message","statusCode"}`). This one is Trove's
 * `{"error","message","code"}` with Trove's headers, written straight to the socket, which is
 * then closed: after a parse error nothing more on that connection can be trusted.
 */
export function clientErrorHandler (err: Error & { code?: string }, socket: Socket): void {
  // a reset connection is already gone: there is no one to answer
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  if (socket.writable) {
    const [status, code, message] = describe(err.code)
    const body = JSON.stringify(errorBody(status, code, message))
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`)
  }
  socket.destroy()
}
