import { EVENT_VERSION, type NewEvent } from "@loom/core";

/** A plausible sequence of events for one run, every event type that carries data included. */
export function sampleEvents(count: number, options: { runId?: string; start?: number } = {}): NewEvent[] {
  const runId = options.runId ?? "run-1";
  const base = { v: EVENT_VERSION, runId, frameId: "root", depth: 0 } as const;
  const events: NewEvent[] = [];
  for (let i = 0; i < count; i++) {
    const n = (options.start ?? 0) + i;
    const ts = 1_700_000_000_000 + n;
    const kind = n % 4;
    if (n === 0) {
      events.push({
        ...base,
        ts,
        iteration: 0,
        type: "run.started",
        data: { input: "Find the answer — ünïcode ✓" },
      });
    } else if (kind === 1) {
      events.push({ ...base, ts, iteration: n, type: "iteration.started", data: {} });
    } else if (kind === 2) {
      events.push({
        ...base,
        ts,
        iteration: n,
        type: "llm.completed",
        data: {
          message: {
            role: "assistant",
            content: `step ${n}\nwith a newline and "quotes"`,
            toolCalls: [{ id: `call-${n}`, name: "search", arguments: JSON.stringify({ q: `q${n}` }) }],
          },
          usage: { inputTokens: 10 + n, outputTokens: 5 },
          finishReason: { unified: "tool-calls", raw: "tool_calls" },
          attempt: 1,
        },
      });
    } else {
      events.push({
        ...base,
        ts,
        iteration: n,
        type: "tool.completed",
        data: {
          callId: `call-${n - 1}`,
          name: "search",
          content: "result",
          output: { hits: [1, 2, 3], ok: true },
          // Every other one reports the tokens of a model call the tool made itself.
          ...(n % 8 === 3
            ? {
                modelUsage: [
                  { provider: "openai", model: "mini", usage: { inputTokens: 40 + n, outputTokens: 4 } },
                ],
              }
            : {}),
        },
      });
    }
  }
  return events;
}
