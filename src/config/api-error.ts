// The one client-error class, at the bottom of the layers so that intake (and
// anything below the API) can throw it without importing upwards; src/api/errors.ts
// turns it into the one error shape.

export interface Problem {
  /**
   * JSON pointer into the body ("/data/name"); a path parameter, query parameter or
   * form field is named with its place in front: "path:id", "query:wait", "form:package".
   */
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
