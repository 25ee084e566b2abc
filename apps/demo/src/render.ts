import type { AgentEvent } from "@loom/core";

const COLOURS = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, dim: 2 } as const;
export type Colour = keyof typeof COLOURS;

/** Paints text with ANSI colours when `on`, else returns it as it is. */
export function painter(on: boolean): (colour: Colour, text: string) => string {
  return (colour, text) => (on ? `\u001b[${COLOURS[colour]}m${text}\u001b[0m` : text);
}

export interface Renderer {
  (event: AgentEvent): void;
  /** Ends the model's line in progress, before something else (a prompt) writes. */
  endLine(): void;
}

/**
 * Turns an agent's stream into terminal output: the model's text as it streams, one line per step.
 * `askedHere`: approvals are asked (and shown) by this process as they come, so the journaled
 * question, which is appended with its answer, is not shown again.
 */
export function renderer(
  write: (text: string) => void,
  options: { colour?: boolean; askedHere?: boolean } = {},
): Renderer {
  const paint = painter(options.colour ?? false);
  let speaking = false;
  const endLine = () => {
    if (speaking) write("\n");
    speaking = false;
  };
  const render = (event: AgentEvent) => {
    if (event.type === "llm.delta") {
      if (event.data.kind !== "text") return;
      if (!speaking) write(`\n${paint("blue", "model:")} `);
      speaking = true;
      write(event.data.delta);
      return;
    }
    if (options.askedHere && (event.type === "approval.requested" || event.type === "approval.resolved"))
      return;
    const line = describe(event, paint);
    if (!line) return;
    endLine();
    write(`${line}\n`);
  };
  return Object.assign(render, { endLine });
}

function describe(event: AgentEvent, paint: (colour: Colour, text: string) => string): string | undefined {
  switch (event.type) {
    case "iteration.started":
      return `\n${paint("dim", `── iteration ${event.iteration}`)}`;
    case "tool.started":
      return `  ${paint("cyan", "→")} ${event.data.name}(${JSON.stringify(event.data.args)})`;
    case "tool.completed": {
      const text = event.data.content;
      return `  ${paint(event.data.error ? "red" : "cyan", "←")} ${event.data.name}: ${event.data.error ? paint("red", "ERROR ") : ""}${text.length > 90 ? `${text.slice(0, 87)}...` : text}`;
    }
    case "approval.requested":
      return event.data.calls
        .map(
          (c) =>
            `  ${paint("yellow", "?")} ${c.name}(${JSON.stringify(c.args)}) waits for a human: ${c.reason}`,
        )
        .join("\n");
    case "approval.resolved":
      return `  ${event.data.decision === "reject" ? paint("red", "✗ rejected") : paint("green", "✓ approved")} ${event.data.callId}${event.data.reason ? ` (${event.data.reason})` : ""}`;
    case "llm.failed":
      return `  ! model call failed: ${event.data.error.message}${event.data.willRetry ? " (retrying)" : ""}`;
    case "run.completed":
      return `\n${paint("green", "✓ run completed")}`;
    case "run.resumed":
      return event.data.reason === "unfinished"
        ? "  ↻ journaled: run.resumed (the process running it was killed mid-run)"
        : "  ↻ journaled: run.resumed (with a human's decisions)";
    default:
      return undefined;
  }
}
