/** One block of an MCP tool result's `content` (the shapes of the MCP spec, 2025-06-18 and later). */
export type McpContentBlock =
  | { type: "text"; text: string }
  | { type: "image"; data: string; mimeType: string }
  | { type: "audio"; data: string; mimeType: string }
  | { type: "resource_link"; uri: string; name?: string; mimeType?: string; description?: string }
  | {
      type: "resource";
      resource: { uri: string; mimeType?: string; text?: string; blob?: string };
    }
  | { type: string; [key: string]: unknown };

/** The parts of an MCP `CallToolResult` Loom reads. */
export interface McpCallResult {
  readonly content?: readonly McpContentBlock[];
  readonly structuredContent?: Record<string, unknown>;
  readonly isError?: boolean;
}

/** What a tool result becomes in Loom: the text the model sees and the value kept as `output`. */
export interface McpToolOutput {
  /** Text blocks joined by blank lines; binary blocks described as `[image: image/png, 123 bytes]`. */
  readonly text: string;
  /** `structuredContent` when the server sent it. */
  readonly structured: Record<string, unknown> | undefined;
  /** Whether any block carries data the model cannot see as text (images, audio, blobs). */
  readonly binary: boolean;
}

/** Bytes held by base64 text, without decoding it. */
export function base64Bytes(data: string): number {
  const clean = data.replace(/\s/g, "");
  const padding = clean.endsWith("==") ? 2 : clean.endsWith("=") ? 1 : 0;
  return Math.max(0, Math.floor((clean.length * 3) / 4) - padding);
}

/** The model-facing text of one content block. */
export function describeBlock(block: McpContentBlock): { text: string; binary: boolean } {
  const b = block as Record<string, unknown>;
  switch (block.type) {
    case "text":
      return { text: String(b.text ?? ""), binary: false };
    case "image":
    case "audio":
      return {
        text: `[${block.type}: ${String(b.mimeType ?? "unknown type")}, ${base64Bytes(String(b.data ?? ""))} bytes]`,
        binary: true,
      };
    case "resource_link": {
      const name = typeof b.name === "string" && b.name !== "" ? ` ${b.name}` : "";
      return { text: `[resource link: ${String(b.uri)}${name}]`, binary: false };
    }
    case "resource": {
      const r = (b.resource ?? {}) as { uri?: unknown; mimeType?: unknown; text?: unknown; blob?: unknown };
      if (typeof r.text === "string") return { text: r.text, binary: false };
      const mime = typeof r.mimeType === "string" ? `, ${r.mimeType}` : "";
      const size = typeof r.blob === "string" ? `, ${base64Bytes(r.blob)} bytes` : "";
      return { text: `[resource: ${String(r.uri)}${mime}${size}]`, binary: typeof r.blob === "string" };
    }
    default:
      return { text: `[${String(block.type)} content]`, binary: false };
  }
}

/** Reads an MCP tool result: its text for the model, its structured content, whether it has binary parts. */
export function readCallResult(result: McpCallResult): McpToolOutput {
  const parts: string[] = [];
  let binary = false;
  for (const block of result.content ?? []) {
    const described = describeBlock(block);
    parts.push(described.text);
    binary ||= described.binary;
  }
  const structured =
    result.structuredContent !== undefined &&
    typeof result.structuredContent === "object" &&
    result.structuredContent !== null
      ? result.structuredContent
      : undefined;
  let text = parts.join("\n\n");
  if (text === "" && structured !== undefined) text = JSON.stringify(structured);
  return { text, structured, binary };
}
