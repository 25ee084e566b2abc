import { JournalError, type StoredEvent } from "@loom/core";

/**
 * Refuses a batch holding a string PostgreSQL cannot store: one with an unpaired UTF-16 surrogate
 * (half of an emoji, as `text.slice()` leaves it). In `data`, jsonb rejects it (and the statement
 * would fail); in the text columns, the driver would silently replace it with U+FFFD. `batchJson` is
 * the batch's JSON (`eventRowsJson`), which writes such a half, in any field, as a `\udXXX` escape:
 * a text without `\ud` has none, so the usual batch costs one scan and nothing more.
 */
export function checkStorableText(threadId: string, events: readonly StoredEvent[], batchJson: string): void {
  if (!batchJson.includes("\\ud")) return;
  for (const [index, event] of events.entries()) {
    let field: string | undefined;
    for (const key of ["runId", "frameId", "parentFrameId"] as const) {
      const value = event[key];
      if (value !== undefined && !value.isWellFormed()) field = key;
    }
    field ??= unpairedSurrogateAt(event.data, "data");
    if (field === undefined) continue;
    throw new JournalError(
      "invalid_events",
      `Cannot append to thread "${threadId}": event ${index} of the batch (seq ${event.seq}, ${event.type}) holds an unpaired UTF-16 surrogate in ${field} (half of a character such as an emoji, as cutting a string with slice() or substring() can leave it). PostgreSQL cannot store it. Cut strings on whole characters (Array.from(text).slice(0, n).join("")) or repair them with text.toWellFormed(), then append again. Nothing of the batch was stored.`,
    );
  }
}

/** The path of the first string (or object key) under `value` with an unpaired surrogate. */
function unpairedSurrogateAt(value: unknown, path: string): string | undefined {
  if (typeof value === "string") return value.isWellFormed() ? undefined : path;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = unpairedSurrogateAt(item, `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (!key.isWellFormed()) return `${path} (the key ${JSON.stringify(key)})`;
      const found = unpairedSurrogateAt(
        item,
        /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`,
      );
      if (found) return found;
    }
  }
  return undefined;
}
