import { z } from "zod";
import { addressTexts } from "./content-hash.js";
import { ConfigError } from "./errors.js";
import type { Attachment } from "./messages.js";

const MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+$/;

/** One part of a run's input: text, an image, or a file (a URL, or bytes with a media type). */
export const ContentPartSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text"), text: z.string() }),
  z.object({
    type: z.literal("image"),
    mediaType: z.string().regex(MEDIA_TYPE),
    url: z.string().url().optional(),
    /** Base64 text, or the bytes themselves. */
    data: z.union([z.string(), z.instanceof(Uint8Array)]).optional(),
    tokens: z.number().int().nonnegative().optional(),
  }),
  z.object({
    type: z.literal("file"),
    mediaType: z.string().regex(MEDIA_TYPE),
    url: z.string().url().optional(),
    data: z.union([z.string(), z.instanceof(Uint8Array)]).optional(),
    filename: z.string().optional(),
    tokens: z.number().int().nonnegative().optional(),
  }),
]);
export type ContentPart = z.input<typeof ContentPartSchema>;

/**
 * A run's input as the user message's text and attachments: text parts joined by a blank line,
 * images and files in order. A part that is malformed, or has both or neither of `url` and `data`,
 * is a `ConfigError` naming it.
 */
export function splitInput(input: string | readonly ContentPart[]): {
  text: string;
  attachments: Attachment[];
} {
  if (typeof input === "string") return { text: input, attachments: [] };
  if (!Array.isArray(input)) {
    throw new ConfigError(
      `run(input): input must be a string or a list of content parts ({ type: "text" | "image" | "file", ... }), got ${typeof input}.`,
    );
  }
  const texts: string[] = [];
  const attachments: Attachment[] = [];
  input.forEach((raw, index) => {
    const parsed = ContentPartSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const at = issue && issue.path.length > 0 ? ` at "${issue.path.join(".")}"` : "";
      throw new ConfigError(
        `run(input): part ${index} is not a content part${at}: ${issue?.message ?? "invalid"}. Parts are { type: "text", text }, { type: "image", mediaType, url | data }, { type: "file", mediaType, url | data, filename? }.`,
      );
    }
    const part = parsed.data;
    if (part.type === "text") texts.push(part.text);
    else attachments.push(attachmentOf(part, `run(input): ${part.type} part ${index}`));
  });
  return { text: texts.join("\n\n"), attachments };
}

type MediaPart = Exclude<z.output<typeof ContentPartSchema>, { type: "text" }>;

function attachmentOf(part: MediaPart, where: string): Attachment {
  if ((part.url === undefined) === (part.data === undefined)) {
    throw new ConfigError(`${where} needs exactly one of "url" or "data".`);
  }
  const data = part.data instanceof Uint8Array ? Buffer.from(part.data).toString("base64") : part.data;
  return {
    type: part.type,
    mediaType: part.mediaType,
    ...(part.url !== undefined ? { url: part.url } : {}),
    ...(data !== undefined ? { data } : {}),
    ...(part.type === "file" && part.filename !== undefined ? { filename: part.filename } : {}),
    ...(part.tokens !== undefined ? { tokens: part.tokens } : {}),
  };
}

const TOOL_RESULT = Symbol.for("loom.toolResult");

/** What `toolResult()` returns: a tool's text for the model with the images and files that go with it. */
export interface ToolResultValue {
  readonly [TOOL_RESULT]: true;
  readonly content: string;
  readonly attachments: readonly Attachment[];
  readonly output?: unknown;
}

/**
 * A tool's result with images or files: `run` returns `toolResult({ content, attachments, output? })`
 * and the model gets the text and the attachments (a chart, a screenshot, a PDF) in the tool's
 * message. Attachments are `{ type: "image" | "file", mediaType, url | data, filename? }`; data as
 * base64 or bytes, journaled once per thread by content address. A malformed one is a `ConfigError`.
 */
export function toolResult(result: {
  content: string;
  attachments?: readonly Exclude<ContentPart, { type: "text" }>[];
  output?: unknown;
}): ToolResultValue {
  const attachments = (result.attachments ?? []).map((raw, index) => {
    const parsed = ContentPartSchema.safeParse(raw);
    if (!parsed.success || parsed.data.type === "text") {
      throw new ConfigError(
        `toolResult(): attachment ${index} is not an image or file part ({ type: "image" | "file", mediaType, url | data }).`,
      );
    }
    return attachmentOf(parsed.data, `toolResult(): attachment ${index}`);
  });
  return {
    [TOOL_RESULT]: true,
    content: result.content,
    attachments,
    ...(result.output !== undefined ? { output: result.output } : {}),
  };
}

export function isToolResultValue(value: unknown): value is ToolResultValue {
  return (
    typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[TOOL_RESULT] === true
  );
}

/**
 * Attachments as the journal stores them: data addressed by hash, its bytes only when the thread
 * does not hold them yet (`known`), so an image sent again costs a hash, not its bytes.
 */
export async function journaledAttachments(
  attachments: readonly Attachment[],
  known: ReadonlyMap<string, string>,
): Promise<Attachment[]> {
  const addresses = await addressTexts(
    attachments.flatMap((a) => (a.data === undefined ? [] : [a.data])),
    known,
  );
  let next = 0;
  return attachments.map((attachment) => {
    if (attachment.data === undefined) return attachment;
    const { hash, first } = addresses[next++]!;
    const { data, ...rest } = attachment;
    return { ...rest, hash, ...(first ? { data } : {}) };
  });
}

/** Attachments as a message holds them: every hash resolved to its data from the thread's contents. */
export function resolvedAttachments(
  attachments: readonly Attachment[],
  contents: ReadonlyMap<string, string>,
): Attachment[] {
  return attachments.map((a) => {
    if (a.data !== undefined || a.hash === undefined) return a;
    const data = contents.get(a.hash);
    if (data === undefined) throw new Error(`internal: the journal holds no data for attachment ${a.hash}`);
    return { ...a, data };
  });
}

/**
 * Tokens a model counts for an attachment, estimated: the caller's `tokens` when given; for an
 * image whose size the bytes tell (PNG, JPEG, GIF, WebP), OpenAI's documented high-detail formula
 * (fit in 2048x2048, shortest side to 768, then 170 per 512-pixel tile plus 85); for an image at a
 * URL, 765 (a 1024x1024 image); for a file, a quarter of its bytes (as text would count), or 1,000
 * at a URL. Anthropic counts images as width x height / 750, within 10% of this for common sizes.
 */
export function estimateAttachmentTokens(attachment: Attachment): number {
  if (attachment.tokens !== undefined) return attachment.tokens;
  if (attachment.type === "image") {
    const size = attachment.data !== undefined ? imageSize(attachment.data) : undefined;
    return size ? openAIImageTokens(size.width, size.height) : 765;
  }
  if (attachment.data !== undefined) return Math.ceil((attachment.data.length * 3) / 4 / 4);
  return 1_000;
}

function openAIImageTokens(width: number, height: number): number {
  let w = width;
  let h = height;
  const fit = Math.min(1, 2048 / Math.max(w, h));
  w *= fit;
  h *= fit;
  const shortest = Math.min(w, h);
  if (shortest > 768) {
    w = (w * 768) / shortest;
    h = (h * 768) / shortest;
  }
  return 85 + 170 * Math.ceil(w / 512) * Math.ceil(h / 512);
}

/** Width and height from the first bytes of a PNG, GIF, WebP or JPEG, given as base64. */
export function imageSize(base64: string): { width: number; height: number } | undefined {
  const bytes = Buffer.from(base64.slice(0, 64 * 1024), "base64");
  if (bytes.length >= 24 && bytes.readUInt32BE(0) === 0x89504e47) {
    return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  }
  if (bytes.length >= 10 && bytes.toString("ascii", 0, 3) === "GIF") {
    return { width: bytes.readUInt16LE(6), height: bytes.readUInt16LE(8) };
  }
  if (
    bytes.length >= 30 &&
    bytes.toString("ascii", 0, 4) === "RIFF" &&
    bytes.toString("ascii", 8, 12) === "WEBP"
  ) {
    const chunk = bytes.toString("ascii", 12, 16);
    if (chunk === "VP8X") return { width: 1 + bytes.readUIntLE(24, 3), height: 1 + bytes.readUIntLE(27, 3) };
    if (chunk === "VP8 ")
      return { width: bytes.readUInt16LE(26) & 0x3fff, height: bytes.readUInt16LE(28) & 0x3fff };
    if (chunk === "VP8L") {
      const b = bytes.readUInt32LE(21);
      return { width: 1 + (b & 0x3fff), height: 1 + ((b >> 14) & 0x3fff) };
    }
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) {
    let i = 2;
    while (i + 9 < bytes.length && bytes[i] === 0xff) {
      const marker = bytes[i + 1]!;
      const length = bytes.readUInt16BE(i + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { width: bytes.readUInt16BE(i + 7), height: bytes.readUInt16BE(i + 5) };
      }
      i += 2 + length;
    }
  }
  return undefined;
}
