import { LoomError } from "@loom/core";

export type StudioErrorCode =
  | "unauthorized"
  | "forbidden_origin"
  | "forbidden_host"
  | "bad_request"
  | "invalid_arguments"
  | "invalid_range"
  | "iteration_not_found"
  | "not_found"
  | "method_not_allowed"
  | "page_missing";

const STATUS: Record<StudioErrorCode, number> = {
  unauthorized: 401,
  forbidden_origin: 403,
  forbidden_host: 403,
  bad_request: 400,
  invalid_arguments: 400,
  invalid_range: 400,
  iteration_not_found: 404,
  not_found: 404,
  method_not_allowed: 405,
  page_missing: 500,
};

/** A request the studio refuses, or a studio that cannot start. `status` is the HTTP status it answers with. */
export class StudioError extends LoomError {
  declare readonly code: StudioErrorCode;
  readonly status: number;

  constructor(code: StudioErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.status = STATUS[code];
  }
}
