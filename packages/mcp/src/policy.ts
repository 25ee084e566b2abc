import type { UnknownOutcomePolicy } from "@loom/core";

/** MCP tool annotations (hints from the server; the MCP spec says not to trust them from untrusted servers). */
export interface McpToolAnnotations {
  readonly title?: string;
  readonly readOnlyHint?: boolean;
  readonly destructiveHint?: boolean;
  readonly idempotentHint?: boolean;
  readonly openWorldHint?: boolean;
}

/** What the user sets for one tool; each field overrides what the annotations imply. */
export interface McpToolOverride {
  /** Running it twice with the same idempotency key has the effect of running it once. */
  readonly idempotent?: boolean;
  /** What `resume` does when the process died while the call ran (non-idempotent tools). */
  readonly onUnknownOutcome?: UnknownOutcomePolicy;
  /**
   * The tool changes nothing (core's `readOnly`): a turn of such calls runs while their start is
   * journaled. Default false: a server's `readOnlyHint` alone does not make it so, since a hint from
   * a server that is wrong would let a call with effects run before it is on record.
   */
  readonly readOnly?: boolean;
  /** Whether a HITL hook given `mcp.needsApproval` (or `mcpApprovalPolicy`) pauses before it runs. */
  readonly needsApproval?: boolean;
  /** The Loom name, when the sanitized `prefix + name` does not suit (or clashes). */
  readonly name?: string;
  /** Per-call timeout for this tool, ms. */
  readonly timeoutMs?: number;
}

export interface McpToolPolicy {
  readonly idempotent: boolean;
  readonly readOnly: boolean;
  readonly onUnknownOutcome: UnknownOutcomePolicy;
  readonly needsApproval: boolean;
  /** Whether the tool may destroy or overwrite data, per its annotations. */
  readonly destructive: boolean;
}

/**
 * The Loom policy a tool gets from its annotations, as the MCP spec defines their defaults:
 * `readOnlyHint` (default false), `destructiveHint` (default true, meaningful when not read-only),
 * `idempotentHint` (default false).
 *
 * - read-only or `idempotentHint: true` → `idempotent` (runs again after a crash, same key);
 * - destructive (not read-only and `destructiveHint` not false) → `needsApproval` and
 *   `onUnknownOutcome: "ask"`;
 * - anything else → `onUnknownOutcome: "fail"` (the model is told the outcome is unknown).
 *
 * A tool without annotations is therefore destructive: the safe reading of an unknown tool.
 */
export function policyFromAnnotations(
  annotations: McpToolAnnotations | undefined,
  override: McpToolOverride = {},
): McpToolPolicy {
  const hintedReadOnly = annotations?.readOnlyHint === true;
  const destructive = !hintedReadOnly && annotations?.destructiveHint !== false;
  const idempotent = override.idempotent ?? (hintedReadOnly || annotations?.idempotentHint === true);
  return {
    idempotent,
    // Never from the hint alone (see McpToolOverride.readOnly).
    readOnly: override.readOnly ?? false,
    onUnknownOutcome: override.onUnknownOutcome ?? (destructive ? "ask" : "fail"),
    needsApproval: override.needsApproval ?? destructive,
    destructive,
  };
}
