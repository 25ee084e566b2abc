import type { ExecutionFrame, Tool, ToolContext } from "@loom/core";

let n = 0;

/** A ToolContext for calling a tool directly, outside an agent. */
export function context(overrides: Partial<ToolContext> = {}): ToolContext {
  n++;
  return {
    signal: new AbortController().signal,
    idempotencyKey: `test/call_${n}@0`,
    callId: `call_${n}`,
    callRef: `call_${n}@0`,
    frame: {} as ExecutionFrame,
    reportProgress: () => {},
    reportUsage: () => {},
    step: async (_name, run) => run(),
    ...overrides,
  };
}

/** Runs a tool as core does: arguments through its input schema first. */
export async function runTool(
  tool: Tool,
  args: unknown,
  overrides: Partial<ToolContext> = {},
): Promise<unknown> {
  const parsed = tool.input.safeParse(args);
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => i.message).join("; "));
  return tool.run(parsed.data, context(overrides));
}
