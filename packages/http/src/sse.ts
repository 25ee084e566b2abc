/** One Server-Sent Event as written on the wire. */
export interface ServerSentEvent {
  readonly event?: string;
  readonly id?: string;
  readonly data: string;
}

/** Encodes one event; `data` may span lines (each becomes its own `data:` line). */
export function encodeEvent({ event, id, data }: ServerSentEvent): string {
  let out = "";
  if (id !== undefined) out += `id: ${id}\n`;
  if (event !== undefined) out += `event: ${event}\n`;
  for (const line of data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** A comment line: keeps proxies from closing an idle stream. Clients ignore it. */
export const HEARTBEAT = ": ping\n\n";

/**
 * Parses a stream of Server-Sent Events (the subset Loom writes: `id`, `event`, `data`, comments),
 * as the HTML specification's event stream parser does: an event ends at a blank line, a `data`
 * field may repeat, a field without a colon has an empty value.
 */
export async function* parseEventStream(body: AsyncIterable<Uint8Array>): AsyncIterable<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  let event: string | undefined;
  let id: string | undefined;
  let data: string[] = [];
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    for (;;) {
      const end = buffer.search(/\r\n|\r|\n/);
      if (end < 0) break;
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + (buffer.startsWith("\r\n", end) ? 2 : 1));
      if (line === "") {
        if (data.length > 0) {
          yield {
            data: data.join("\n"),
            ...(event !== undefined ? { event } : {}),
            ...(id !== undefined ? { id } : {}),
          };
        }
        event = undefined;
        id = undefined;
        data = [];
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "data") data.push(value);
      else if (field === "event") event = value;
      else if (field === "id") id = value;
    }
  }
}
