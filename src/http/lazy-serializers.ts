import SerializerSelector from '@fastify/fast-json-stringify-compiler'
import type { FastifyServerOptions } from 'fastify'

type BuildSerializer = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildSerializer']>

/**
 * Fastify's own response serializers (fast-json-stringify), each compiled when its route first
 * answers with that status instead of for every route at start-up: compiling the ~150 route ×
 * status schemas was a fifth of the cold start (issue 9). An answer is serialized exactly as
 * before; only the first answer of each route and status pays for its compilation.
 */
export const lazySerializers: BuildSerializer = (externalSchemas, serializerOptions) => {
  let compiler: ReturnType<BuildSerializer> | undefined
  return route => {
    let serialize: ((data: unknown) => string) | undefined
    return (data: unknown) => {
      compiler ??= SerializerSelector()(externalSchemas, serializerOptions)
      serialize ??= compiler(route)
      return serialize(data)
    }
  }
}
