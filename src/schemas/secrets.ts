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

/** Errors may carry extra fields (`current_version`, an import `plan`), so extras pass through. */
export const errorSchema = {
  type: 'object',
  required: ['error', 'message', 'code'],
  additionalProperties: true,
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
    version: { type: 'integer' },
    fingerprint: { type: 'string' }
  }
} as const

/** `next_cursor` is present only when the request asked for a page (limit, cursor or prefix). */
export const secretListSchema = {
  type: 'object',
  required: ['secrets'],
  properties: {
    secrets: { type: 'array', items: secretSchema },
    next_cursor: { type: ['string', 'null'] }
  }
} as const

export const versionListSchema = {
  type: 'object',
  required: ['versions'],
  properties: {
    versions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['version', 'created_at', 'created_by', 'current'],
        properties: {
          version: { type: 'integer' },
          created_at: { type: 'string', format: 'date-time' },
          created_by: { type: ['string', 'null'] },
          current: { type: 'boolean' },
          fingerprint: { type: 'string' }
        }
      }
    }
  }
} as const

export const trashListSchema = {
  type: 'object',
  required: ['secrets'],
  properties: {
    secrets: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'team_name', 'deleted_at', 'purge_at'],
        properties: {
          id: { type: 'string' },
          name: { type: 'string' },
          team_name: { type: 'string' },
          deleted_at: { type: 'string', format: 'date-time' },
          purge_at: { type: 'string', format: 'date-time' },
          version: { type: 'integer' },
          fingerprint: { type: 'string' }
        }
      }
    }
  }
} as const

export const resolveResultSchema = {
  type: 'object',
  required: ['secrets', 'missing'],
  properties: {
    secrets: { type: 'object', additionalProperties: { type: 'string' } },
    missing: { type: 'array', items: { type: 'string' } }
  }
} as const

export const importResultSchema = {
  type: 'object',
  required: ['plan', 'applied'],
  properties: {
    plan: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'action'],
        properties: {
          name: { type: 'string' },
          action: { type: 'string', enum: ['create', 'update', 'unchanged', 'invalid'] },
          reason: { type: 'string' }
        }
      }
    },
    applied: { type: 'boolean' }
  }
} as const

export const ResolveBody = z.object({
  names: z.array(z.string({ error: 'each name must be a string' }), { error: 'names must be an array of secret names' })
    .max(1000, 'at most 1000 names at once')
}, { error: 'the body must be a JSON object with "names"' })

export const RollbackBody = z.object({
  version: z.number({ error: 'version must be a whole number' }).int('version must be a whole number').positive('version must be at least 1')
}, { error: 'the body must be a JSON object with "version"' })

export const secretValueSchema = {
  type: 'object',
  required: ['name', 'value'],
  properties: { name: { type: 'string' }, value: { type: 'string' }, version: { type: 'integer' } }
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
