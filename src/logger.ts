import type { FastifyRequest } from 'fastify'
import type { LoggerOptions } from 'pino'

/**
 * Logs carry no bodies and no headers: the request serializer names the route template, not the
 * raw URL. Redaction is only the backstop for a field someone logs by mistake.
 */
export function loggerOptions (level: string): LoggerOptions {
  return {
    level,
    redact: {
      paths: [
        'req.headers.authorization', 'req.headers["x-api-key"]', 'req.body', 'body', 'value', 'key', 'apiKey',
        'masterKey', '*.value', '*.key', '*.apiKey', '*.masterKey'
      ],
      censor: '[REDACTED]'
    },
    serializers: {
      req (request: FastifyRequest) {
        return {
          method: request.method,
          route: request.routeOptions?.url ?? '(no route)',
          remoteAddress: request.ip
        }
      }
    }
  }
}
