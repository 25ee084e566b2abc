import type { AgentEvent } from "@loom/core";

/** Turns an agent's stream into terminal output: the model's text as it streams, one line per step. */
export function renderer(write: (text: string) => void): (event: AgentEvent) => void {
  let speaking = false;
  return (event) => {
    if (event.type === "llm.delta") {
      if (event.data.kind !== "text") return;
      if (!speaking) write("\nmodel: ");
      speaking = true;
      write(event.data.delta);
      return;
    }
    const line = describe(event);
    if (!line) return;
    if (speaking) write("\n");
    speaking = false;
    write(`${line}\n`);
  };
}

function describe(event: AgentEvent): string | undefined {
  switch (event.type) {
    case "iteration.started":
      return `\n── iteration ${event.iteration}`;
    case "tool.started":
      return `  → ${event.data.name}(${JSON.stringify(event.data.args)})`;
    case "tool.completed": {
      const text = event.data.content;
      return `  ← ${event.data.name}: ${event.data.error ? "ERROR " : ""}${text.length > 90 ? `${text.slice(0, 87)}...` : text}`;
    }
    case "approval.requested":
      return event.data.calls.map((c) => `  ? ${c.name} waits for a human: ${c.reason}`).join("\n");
    case "approval.resolved":
      return `  ${event.data.decision === "reject" ? "✗ rejected" : "✓ approved"} ${event.data.callId}${event.data.reason ? ` (${event.data.reason})` : ""}`;
    case "llm.failed":
      return `  ! model call failed: ${event.data.error.message}${event.data.willRetry ? " (retrying)" : ""}`;
    case "run.completed":
      return "\n✓ run completed";
    case "run.resumed":
      return event.data.reason === "unfinished"
        ? "  ↻ journaled: run.resumed (the process running it was killed mid-run)"
        : "  ↻ journaled: run.resumed (with a human's decisions)";
    default:
      return undefined;
  }
}
