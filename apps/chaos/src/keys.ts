import type { StoredEvent } from "@loom/core";

/**
 * Names each call event of a thread by its idempotency key `<threadId>/<callId>@<seq>`, where seq is
 * that of the `llm.completed` of its frame that asked for it (what core calls the call's ref).
 */
export class CallKeys {
  private readonly lastCompletion = new Map<string, number>();
  constructor(readonly threadId: string) {}

  /** Folds one event in; returns the key of the call it is about, if any. */
  next(event: StoredEvent): string | undefined {
    switch (event.type) {
      case "llm.completed":
        this.lastCompletion.set(event.frameId, event.seq);
        return undefined;
      case "tool.started":
        return event.data.idempotencyKey;
      case "tool.completed":
      case "approval.resolved":
        return this.keyOf(event.frameId, event.data.callId);
      default:
        return undefined;
    }
  }

  keyOf(frameId: string, callId: string): string {
    return `${this.threadId}/${callId}@${this.lastCompletion.get(frameId) ?? "?"}`;
  }
}
