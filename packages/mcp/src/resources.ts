import { ConfigError, type ContentPart } from "@loom/core";
import { base64Bytes, describeBlock, type McpContentBlock } from "./result.js";

/** A resource a server lists (`resources/list`). */
export interface McpResource {
  readonly uri: string;
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly mimeType?: string;
  /** Bytes, when the server says. */
  readonly size?: number;
}

/** A family of resources a server lists by URI template (`resources/templates/list`, RFC 6570). */
export interface McpResourceTemplate {
  readonly uriTemplate: string;
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly mimeType?: string;
}

/** One item of a resource's contents as the server sent it: text, or a blob (base64). */
export interface McpResourceContents {
  readonly uri: string;
  readonly mimeType?: string;
  readonly text?: string;
  readonly blob?: string;
}

/** A resource read with `readResource`. */
export interface McpResourceRead {
  readonly uri: string;
  /** What the server sent, unchanged. */
  readonly contents: readonly McpResourceContents[];
  /**
   * The contents as a run's input parts: text as text, an image blob as an image, any other blob as
   * a file (its media type the server's, else `application/octet-stream`).
   */
  readonly parts: ContentPart[];
}

/** A prompt a server lists (`prompts/list`). */
export interface McpPromptInfo {
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly arguments: readonly {
    readonly name: string;
    readonly description?: string;
    readonly required: boolean;
  }[];
}

/** One message of a prompt, its content as input parts. */
export interface McpPromptMessage {
  readonly role: "user" | "assistant";
  readonly parts: ContentPart[];
}

/** A prompt filled in by the server (`prompts/get`). */
export interface McpPrompt {
  readonly name: string;
  readonly description?: string;
  readonly messages: readonly McpPromptMessage[];
}

/** A resource's contents as input parts (see `McpResourceRead.parts`). */
export function resourceParts(contents: readonly McpResourceContents[]): ContentPart[] {
  return contents.map(contentsPart);
}

function contentsPart(item: McpResourceContents): ContentPart {
  if (typeof item.blob !== "string") return { type: "text", text: item.text ?? "" };
  const mediaType = validMediaType(item.mimeType) ?? "application/octet-stream";
  if (mediaType.startsWith("image/")) return { type: "image", mediaType, data: item.blob };
  const filename = fileName(item.uri);
  return { type: "file", mediaType, data: item.blob, ...(filename ? { filename } : {}) };
}

/**
 * A prompt message's content block as an input part: text, an image, an embedded resource (as
 * `resourceParts`); what a run's input cannot carry (audio, a resource link) is described in text.
 */
export function promptPart(block: McpContentBlock): ContentPart {
  const b = block as Record<string, unknown>;
  if (block.type === "text") return { type: "text", text: String(b.text ?? "") };
  if (block.type === "image" && typeof b.data === "string") {
    const mediaType = validMediaType(b.mimeType);
    if (mediaType) return { type: "image", mediaType, data: b.data };
  }
  if (block.type === "resource" && typeof b.resource === "object" && b.resource !== null) {
    return contentsPart(b.resource as McpResourceContents);
  }
  return { type: "text", text: describeBlock(block).text };
}

/**
 * A prompt as a run's input: `agent.run(promptInput(await mcp.getPrompt("review", { file })))`.
 * A run's input is one user turn, so a prompt with an assistant message (a conversation) is a
 * `ConfigError` saying which: compose the input from `prompt.messages` yourself.
 */
export function promptInput(prompt: McpPrompt): ContentPart[] {
  const assistant = prompt.messages.findIndex((m) => m.role !== "user");
  if (assistant >= 0) {
    throw new ConfigError(
      `promptInput: MCP prompt "${prompt.name}" is a conversation (message ${assistant} is the assistant's), and a run's input is one user turn. Compose the input from prompt.messages yourself.`,
    );
  }
  return prompt.messages.flatMap((m) => m.parts);
}

/** What the model reads of a resource (the `read_resource` tool): texts, blobs described. */
export function resourceText(contents: readonly McpResourceContents[]): { text: string; binary: boolean } {
  let binary = false;
  const texts = contents.map((item) => {
    if (typeof item.blob !== "string") return item.text ?? "";
    binary = true;
    return `[resource: ${item.uri}${item.mimeType ? `, ${item.mimeType}` : ""}, ${base64Bytes(item.blob)} bytes]`;
  });
  if (contents.length <= 1) return { text: texts[0] ?? "", binary };
  // Several items (a folder, a multi-part resource): each under its URI, so the model can tell them apart.
  return { text: contents.map((item, i) => `--- ${item.uri}\n${texts[i]}`).join("\n\n"), binary };
}

/** What the model reads of a server's resources (the `list_resources` tool). */
export function resourceListText(
  resources: readonly McpResource[],
  templates: readonly McpResourceTemplate[],
): string {
  const line = (id: string, r: { name: string; title?: string; description?: string; mimeType?: string }) =>
    `- ${id}: ${r.title ?? r.name}${r.mimeType ? ` (${r.mimeType})` : ""}${r.description ? ` - ${r.description}` : ""}`;
  const parts: string[] = [];
  if (resources.length > 0) parts.push(["Resources:", ...resources.map((r) => line(r.uri, r))].join("\n"));
  if (templates.length > 0) {
    parts.push(
      [
        "Resource templates (fill in the {placeholders} to make a URI):",
        ...templates.map((t) => line(t.uriTemplate, t)),
      ].join("\n"),
    );
  }
  return parts.length > 0 ? parts.join("\n\n") : "The server lists no resources.";
}

const MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+$/;

function validMediaType(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  // Parameters ("text/plain; charset=utf-8") are not part of a part's media type.
  const type = value.split(";")[0]!.trim().toLowerCase();
  return MEDIA_TYPE.test(type) ? type : undefined;
}

/** The last segment of a URI's path, for a file part's name. */
function fileName(uri: string): string | undefined {
  try {
    const segment = new URL(uri).pathname.split("/").pop();
    return segment ? decodeURIComponent(segment) : undefined;
  } catch {
    return undefined;
  }
}
