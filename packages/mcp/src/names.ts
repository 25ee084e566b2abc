/** The `_meta` key that carries a call's idempotency key to the server. */
export const IDEMPOTENCY_META_KEY = "loom/idempotencyKey";

/** Core's rule for tool names (what model APIs accept). */
export const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * `prefix + name` made into a name models accept: every character outside `[A-Za-z0-9_-]`
 * (dots, slashes, spaces, non-ASCII) becomes `_`, and the result is cut to 64 characters.
 */
export function loomToolName(prefix: string, name: string): string {
  const sanitized = `${prefix}${name}`.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64);
  return sanitized === "" ? "_" : sanitized;
}
