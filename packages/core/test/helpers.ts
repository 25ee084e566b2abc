import { type AgentEvent, type Journal, readAll, type StoredEvent } from "@loom/core";

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
