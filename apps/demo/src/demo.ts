import { type AgentEvent, type Journal, MemoryJournal } from "@loom/core";
import { researchAgent } from "./research.js";

export interface DemoOptions {
  readonly write: (text: string) => void;
  readonly journal?: Journal;
  readonly threadId?: string;
  /** Milliseconds between streamed pieces of the model's text (0: as fast as possible). */
  readonly paceMs?: number;
}

export interface DemoSummary {
  readonly threadId: string;
  readonly iterations: number;
  readonly toolCalls: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly answer: string;
}

const QUESTION = "How do AI agents survive a crash without losing work?";

/** Runs the research task, streaming what happens to `write`, and returns a summary. */
export async function runDemo({
  write,
  journal = new MemoryJournal(),
  threadId = "demo-research",
  paceMs = 0,
}: DemoOptions) {
  const agent = researchAgent(journal, paceMs);
  write(`Loom demo: offline research with a scripted model\n\nQuestion: ${QUESTION}\n`);
  const stream = agent.stream(QUESTION, { threadId });
  let toolCalls = 0;
  let speaking = false;
  for await (const event of stream) {
    const line = describe(event);
    if (event.type === "llm.delta" && event.data.kind === "text") {
      if (!speaking) write("\nmodel: ");
      speaking = true;
      write(event.data.delta);
      continue;
    }
    if (line) {
      if (speaking) write("\n");
      speaking = false;
      write(`${line}\n`);
    }
    if (event.type === "tool.started") toolCalls++;
  }
  const result = await stream.result;
  if (result.status !== "completed") throw new Error(`demo run ended ${result.status}`);
  const summary: DemoSummary = {
    threadId,
    iterations: result.frame.iteration,
    toolCalls,
    inputTokens: result.frame.usage.inputTokens,
    outputTokens: result.frame.usage.outputTokens,
    answer: result.text,
  };
  write(
    `\nSummary: ${summary.iterations} iterations, ${summary.toolCalls} tool calls, ` +
      `${summary.inputTokens} tokens in / ${summary.outputTokens} tokens out (thread "${threadId}").\n`,
  );
  return summary;
}

function describe(event: AgentEvent): string | undefined {
  switch (event.type) {
    case "iteration.started":
      return `\n── iteration ${event.iteration}`;
    case "tool.started":
      return `  → ${event.data.name}(${JSON.stringify(event.data.args)})`;
    case "tool.completed": {
      const preview =
        event.data.content.length > 90 ? `${event.data.content.slice(0, 87)}...` : event.data.content;
      return `  ← ${event.data.name}: ${event.data.error ? "ERROR " : ""}${preview}`;
    }
    case "run.completed":
      return "\n✓ run completed";
    default:
      return undefined;
  }
}
