// One error shape for every client mistake: a status, a stable code, a
// message, and where applicable each problem with its JSON pointer. Fastify's
// own errors (routing, body parsing, schema validation, multipart) are mapped
// into it too; no message ever echoes what the client sent.
import type { FastifyError, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';

import { ApiError, type Problem } from '../config/api-error.ts';

export { ApiError, type Problem };

export function errorBody(code: string, message: string, problems?: Problem[]) {
  return { error: { code, message, ...(problems ? { problems } : {}) } };
}

/** Fastify's and @fastify/multipart's error codes → our status, code and a fixed message (theirs can quote the input). */
const FASTIFY_CODES: Record<string, [number, string, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'body_too_large', 'the request body is too large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type', 'send the body as application/json (template packages: multipart/form-data)'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'bad_content_length', 'the Content-Length header does not match the body'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'malformed_json', 'the body is empty but Content-Type is application/json'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'malformed_json', 'request body is not valid JSON'],
  FST_ERR_MAX_PARAM_LENGTH: [414, 'uri_too_long', 'a path parameter is longer than 100 characters'],
  FST_ERR_BAD_URL: [400, 'bad_url', 'the URL is not valid (bad percent-encoding)'],
  FST_ERR_ASYNC_CONSTRAINT: [400, 'bad_request', 'the request could not be routed'],
  FST_REQ_FILE_TOO_LARGE: [413, 'package_too_large', 'the package is larger than the upload limit'],
  FST_PARTS_LIMIT: [413, 'too_many_parts', 'the upload has too many parts; send one file in the field "package"'],
  FST_FILES_LIMIT: [413, 'too_many_files', 'send exactly one file, in the field "package"'],
  FST_FIELDS_LIMIT: [413, 'too_many_fields', 'the upload has too many form fields'],
  FST_PROTO_VIOLATION: [400, 'malformed_multipart', 'a form field name is not allowed'],
  FST_INVALID_MULTIPART_CONTENT_TYPE: [415, 'unsupported_media_type', 'send the template package as multipart/form-data'],
  FST_MP_PREMATURE_CLOSE: [400, 'malformed_multipart', 'the upload ended before the multipart body was complete'],
};

/** Statuses fastify may raise without one of the codes above: a fixed message each. */
const GENERIC: Record<number, [string, string]> = {
  400: ['bad_request', 'the request is malformed'],
  404: ['not_found', 'no such route'],
  405: ['method_not_allowed', 'this method is not allowed here'],
  406: ['not_acceptable', 'the request cannot be accepted in this form'],
  408: ['request_timeout', 'the request took too long to arrive'],
  413: ['body_too_large', 'the request body is too large'],
  414: ['uri_too_long', 'the URL is too long'],
  415: ['unsupported_media_type', 'unsupported Content-Type'],
  431: ['headers_too_large', 'the request headers are too large'],
};

const WHERE: Record<string, string> = { params: 'path:', querystring: 'query:', headers: 'header:' };

/** Ajv errors (from a route's JSON Schema) → problems with pointers; never the submitted value. */
export function schemaProblems(errors: FastifySchemaValidationError[], context: string | undefined): Problem[] {
  const prefix = context ? WHERE[context] : undefined;
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const e of errors) {
    // An if/then/else failure is reported by the then or else branch's own errors, with their pointers.
    if (e.keyword === 'if') continue;
    let ptr = e.instancePath;
    if (e.keyword === 'required') ptr += `/${String(e.params.missingProperty)}`;
    if (e.keyword === 'additionalProperties') ptr += `/${String(e.params.additionalProperty)}`;
    const message =
      e.keyword === 'required' ? 'is required' : e.keyword === 'additionalProperties' ? 'is not a known property' : (e.message ?? 'is not valid');
    const pointer = prefix ? prefix + ptr.replace(/^\//, '') : ptr;
    if (seen.has(pointer + message)) continue;
    seen.add(pointer + message);
    out.push({ pointer, message });
  }
  return out;
}

function validationError(fe: FastifyError): ApiError {
  const where = fe.validationContext;
  const errors = fe.validation ?? [];
  if (where === 'body' && errors.some((e) => e.instancePath === '' && e.keyword === 'type')) {
    return new ApiError(400, 'bad_request', 'request body must be a JSON object');
  }
  const problems = schemaProblems(errors, where);
  // Path and query are the URL: a malformed URL is a bad request; a body that parses but says the wrong things is 422.
  return where === 'body'
    ? new ApiError(422, 'invalid_request', `${problems.length} problem(s) in the request`, problems)
    : new ApiError(400, 'bad_request', `${problems.length} problem(s) in the URL`, problems);
}

export function handleError(err: FastifyError | ApiError | Error, req: FastifyRequest, reply: FastifyReply) {
  const fe = err as FastifyError;
  if (!(err instanceof ApiError) && fe.validation) err = validationError(fe);
  if (err instanceof ApiError) {
    if (err.headers) reply.headers(err.headers);
    return reply.code(err.status).send(errorBody(err.code, err.message, err.problems));
  }
  const mapped = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped) return reply.code(mapped[0]).send(errorBody(mapped[1], mapped[2]));
  if (err instanceof SyntaxError || (fe.statusCode === 400 && /JSON/i.test(fe.message))) {
    // JSON.parse messages quote the input; keep only the position.
    return reply.code(400).send(errorBody('malformed_json', `request body is not valid JSON${positionOf(fe.message)}`));
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    const [code, message] = GENERIC[fe.statusCode] ?? GENERIC[400]!;
    return reply.code(fe.statusCode).send(errorBody(code, message));
  }
  // The message of an unexpected error may carry what the client sent: log its kind and where it came from only.
  req.log.error({ err: { type: err.name, code: fe.code, stack: stackFrames(err) } }, 'unhandled error');
  return reply.code(500).send(errorBody('internal', 'internal error; the request id is in the x-request-id header'));
}

/** Routing failures fastify reports before a route runs (414, bad URL): the same shape. */
export function frameworkError(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  return handleError(err, req, reply);
}

function stackFrames(err: Error): string {
  return (err.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l)).slice(0, 12).join('\n');
}

function positionOf(msg: string): string {
  const m = /position (\d+)/.exec(msg);
  return m ? ` (at byte ${m[1]})` : '';
}
