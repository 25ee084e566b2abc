import {
  type Agent,
  type AgentEvent,
  type Journal,
  type NewEvent,
  type RunResult,
  readAll,
  type StoredEvent,
  tool,
  toolResult,
} from "@loom/core";
import { z } from "zod";

/** A 1x1 PNG, base64. */
export const PIXEL =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

/** A tool whose result is a text (`content(of)`) and `PIXEL` as an image. */
export function chartTool(content: (of: string) => string = (of) => `chart of ${of} attached`) {
  return tool({
    name: "chart",
    description: "Draws a chart",
    input: z.object({ of: z.string() }),
    idempotent: true,
    run: ({ of }) =>
      toolResult({
        content: content(of),
        attachments: [{ type: "image", mediaType: "image/png", data: PIXEL }],
      }),
  });
}

/** An event as a journal's `append` takes it (a stored event copied into another journal). */
export const unsealed = ({ threadId: _t, seq: _s, ...rest }: StoredEvent) => rest as NewEvent;

/** Resumes `threadId` until its run completes, approving whatever a human is asked. */
export async function approvingAll(
  agent: Agent,
  threadId: string,
  first: Promise<RunResult>,
): Promise<RunResult> {
  let result = await first;
  for (let i = 0; result.status === "interrupted" && i < 10; i++) {
    const decisions = Object.fromEntries(result.pending.map((p) => [p.callId, { approve: true as const }]));
    result = await agent.resume(threadId, { decisions });
  }
  return result;
}

export async function collect(stream: AsyncIterable<AgentEvent>): Promise<AgentEvent[]> {
  const events: AgentEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

export async function types(journal: Journal, threadId: string): Promise<string[]> {
  return (await readAll(journal, threadId)).map((e) => e.type);
}

export async function eventsOf<T extends StoredEvent["type"]>(
  journal: Journal,
  threadId: string,
  type: T,
): Promise<Extract<StoredEvent, { type: T }>[]> {
  return (await readAll(journal, threadId)).filter(
    (e): e is Extract<StoredEvent, { type: T }> => e.type === type,
  );
}
