import { z } from 'zod'

/**
 * Request bodies are checked with zod in the handlers (clear messages, no values echoed);
 * responses are JSON Schema so Fastify serializes them fast and never sends a field the schema
 * does not name (a value can never slip into a list).
 */
export const UpsertSecretBody = z.object({
  name: z.string({ error: 'name is required and must be a string' }),
  value: z.string({ error: 'value is required and must be a string' })
}, { error: 'the body must be a JSON object with "name" and "value"' })

export const errorSchema = {
  type: 'object',
  required: ['error', 'message', 'code'],
  properties: {
    error: { type: 'string' },
    message: { type: 'string' },
    code: { type: 'string' }
  }
} as const

export const secretSchema = {
  type: 'object',
  required: ['id', 'created_at', 'name', 'team_name'],
  properties: {
    id: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    name: { type: 'string' },
    team_name: { type: 'string' },
    version: { type: 'integer' }
  }
} as const

export const secretListSchema = {
  type: 'object',
  required: ['secrets'],
  properties: { secrets: { type: 'array', items: secretSchema } }
} as const

export const secretValueSchema = {
  type: 'object',
  required: ['name', 'value'],
  properties: { name: { type: 'string' }, value: { type: 'string' } }
} as const

export const tombstoneSchema = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string' } }
} as const

export const teamListSchema = {
  type: 'object',
  required: ['teams'],
  properties: {
    teams: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'name'],
        properties: { id: { type: 'string' }, name: { type: 'string' } }
      }
    }
  }
} as const
