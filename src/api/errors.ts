// One error shape for every client mistake: a status, a stable code, a
// message, and where applicable each problem with its JSON pointer.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

export interface Problem {
  pointer: string;
  message: string;
  /** Japanese, for CRM operators (template problems carry it). */
  message_ja?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems?: Problem[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export function errorBody(code: string, message: string, problems?: Problem[]) {
  return { error: { code, message, ...(problems ? { problems } : {}) } };
}

const FASTIFY_CODES: Record<string, [number, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'body_too_large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'malformed_json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'bad_content_length'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'malformed_json'],
};

export function handleError(err: FastifyError | ApiError | Error, req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof ApiError) {
    if (err.headers) reply.headers(err.headers);
    return reply.code(err.status).send(errorBody(err.code, err.message, err.problems));
  }
  const fe = err as FastifyError;
  const mapped = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped) return reply.code(mapped[0]).send(errorBody(mapped[1], cleanMessage(fe.message)));
  if (err instanceof SyntaxError || (fe.statusCode === 400 && /JSON/i.test(fe.message))) {
    // JSON.parse messages quote the input; keep only the position.
    return reply.code(400).send(errorBody('malformed_json', `request body is not valid JSON${positionOf(fe.message)}`));
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return reply.code(fe.statusCode).send(errorBody(fe.code?.toLowerCase() ?? 'bad_request', cleanMessage(fe.message)));
  }
  req.log.error({ err: { message: err.message, stack: err.stack } }, 'unhandled error');
  return reply.code(500).send(errorBody('internal', 'internal error; the request id is in the x-request-id header'));
}

function positionOf(msg: string): string {
  const m = /position (\d+)/.exec(msg);
  return m ? ` (at byte ${m[1]})` : '';
}

function cleanMessage(msg: string): string {
  return msg.replace(/^FST_\w+:\s*/, '').slice(0, 300);
}
