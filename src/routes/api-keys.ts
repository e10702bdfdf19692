import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { ApiKeysService } from '../services/api-keys-service.js'
import { parseBody, withErrors } from './secrets.js'

const apiKeyProperties = {
  id: { type: 'string' },
  name: { type: 'string' },
  scopes: { type: 'array', items: { type: 'string' } },
  teams: { type: ['array', 'null'], items: { type: 'string' } },
  created_at: { type: 'string', format: 'date-time' },
  expires_at: { type: ['string', 'null'], format: 'date-time' },
  last_used_at: { type: ['string', 'null'], format: 'date-time' },
  revoked: { type: 'boolean' },
  revoked_at: { type: ['string', 'null'], format: 'date-time' },
  intact: { type: 'boolean' }
} as const

const apiKeySchema = { type: 'object', required: ['id', 'name', 'scopes', 'teams', 'created_at', 'expires_at', 'last_used_at', 'revoked', 'intact'], properties: apiKeyProperties } as const
const createdKeySchema = { type: 'object', required: [...apiKeySchema.required, 'key'], properties: { ...apiKeyProperties, key: { type: 'string' } } } as const
const apiKeyListSchema = { type: 'object', required: ['api_keys'], properties: { api_keys: { type: 'array', items: apiKeySchema } } } as const

const CreateKeyBody = z.object({
  name: z.string({ error: 'name is required and must be a string' }).min(1, 'name must not be empty').max(100, 'name must be at most 100 characters')
    // a name is shown in lists, the audit log and terminals: a line break or a direction
    // override there could forge what looks like another entry
    .refine(name => !/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(name), 'name must not hold control or formatting characters (line breaks, tabs, direction overrides)')
    // a lone surrogate is stored as U+FFFD: the row would then fail its grant MAC on first use
    .refine(name => name.isWellFormed(), 'name must be valid Unicode text (it holds a lone surrogate)'),
  scopes: z.array(z.string({ error: 'each scope must be a string' }), { error: 'scopes must be an array of scope names' }).min(1, 'scopes must not be empty'),
  teams: z.array(z.string({ error: 'each team must be a team id' }), { error: 'teams must be an array of team ids' }).min(1, 'teams must not be empty; leave it out for all of yours').optional(),
  expires_at: z.string({ error: 'expires_at must be an ISO 8601 date-time' }).optional()
}, { error: 'the body must be a JSON object with "name" and "scopes"' })

/** API keys: created (shown once), listed (metadata only) and revoked. Needs `keys:manage`. */
export default async function apiKeyRoutes (app: FastifyInstance, options: { keys: ApiKeysService }): Promise<void> {
  const { keys } = options
  const config = (operationId: string) => ({ operationId, scope: 'keys:manage' as const })

  app.post('/', { schema: { response: withErrors(createdKeySchema) }, config: config('createApiKey') }, async request => {
    const body = parseBody(CreateKeyBody, request.body, '"name" and "scopes"')
    const { record, key } = await keys.create(request.principal, body)
    return { ...keys.toResponse(record), key }
  })

  app.get('/', { schema: { response: withErrors(apiKeyListSchema) }, config: config('listApiKeys') }, async request => {
    return { api_keys: (await keys.list(request.principal)).map(keys.toResponse) }
  })

  app.delete<{ Params: { key_id: string } }>('/:key_id', { schema: { response: withErrors(apiKeySchema) }, config: config('revokeApiKey') }, async request => {
    return keys.toResponse(await keys.revoke(request.principal, request.params.key_id))
  })
}
