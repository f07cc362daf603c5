// JSON Schemas for what enters through a URL: every id is checked where it
// arrives, so nothing malformed reaches Redis, storage or a log line.

export const TEMPLATE_ID = {
  type: 'string',
  pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
  errorMessage: 'must be a template id: 1-63 characters of a-z, 0-9 and "-"',
} as const;

export const VERSION_ID = {
  type: 'string',
  pattern: '^v[0-9a-f]{16}$',
  errorMessage: 'must be a version id like "v0123456789abcdef" (GET /v1/templates/:id/versions lists them)',
} as const;

export const RENDER_ID = {
  type: 'string',
  pattern: '^[A-Za-z0-9_-]{1,64}$',
  errorMessage: 'must be a render id as returned by POST /v1/renders',
} as const;

/** Segment file names: "<index>.ts". */
export const SEGMENT_FILE = { type: 'string', pattern: '^[0-9]{1,5}\\.ts$', errorMessage: 'must be a segment file name like "3.ts"' } as const;

export const BOOL_QUERY = { type: 'string', enum: ['true', 'false', '1', '0'], errorMessage: 'must be true or false' } as const;

export function params<P extends Record<string, object>>(props: P) {
  return { type: 'object', required: Object.keys(props), properties: props } as const;
}
