import { type Attachment, ProviderError, type ToolMessage, type UserMessage } from "@loom/core";
import type OpenAI from "openai";

type ChatPart = OpenAI.Chat.Completions.ChatCompletionContentPart;
type ResponsesPart = OpenAI.Responses.ResponseInputContent;
type ToolOutput = OpenAI.Responses.ResponseInputItem.FunctionCallOutput["output"];

/** An image goes as an image part whatever its `type` says: a `file` of `image/png` is an image too. */
function isImage(attachment: Attachment): boolean {
  return attachment.type === "image" || attachment.mediaType.startsWith("image/");
}

function dataUrl(attachment: Attachment & { data: string }): string {
  return `data:${attachment.mediaType};base64,${attachment.data}`;
}

const EXTENSIONS: Readonly<Record<string, string>> = {
  "application/pdf": "pdf",
  "text/plain": "txt",
  "text/markdown": "md",
  "text/csv": "csv",
  "application/json": "json",
};

/** The API wants a name with bytes sent inline; a file without one is named after its media type. */
function filenameOf(attachment: Attachment): string {
  if (attachment.filename) return attachment.filename;
  const subtype = attachment.mediaType.split("/")[1] ?? "bin";
  return `file.${EXTENSIONS[attachment.mediaType] ?? subtype}`;
}

function refused(what: string): ProviderError {
  return new ProviderError("bad_request", `OpenAI cannot take this attachment: ${what}`, {
    provider: "openai",
    retryable: false,
  });
}

/** Bytes when it has them, else its URL; neither is refused (core never builds one, a hand-made message might). */
function source(attachment: Attachment, index: number): { url: string } | { data: string } {
  if (attachment.data !== undefined) return { data: attachment.data };
  if (attachment.url !== undefined) return { url: attachment.url };
  throw refused(`attachment ${index} (${attachment.mediaType}) has neither "url" nor "data".`);
}

/** A user message as Chat Completions content: its text, then an `image_url` or `file` part per attachment. */
export function chatUserContent(message: UserMessage): string | ChatPart[] {
  const attachments = message.attachments ?? [];
  if (attachments.length === 0) return message.content;
  const parts: ChatPart[] = message.content !== "" ? [{ type: "text", text: message.content }] : [];
  for (const [index, attachment] of attachments.entries()) {
    const from = source(attachment, index);
    if (isImage(attachment)) {
      const url = "url" in from ? from.url : dataUrl({ ...attachment, data: from.data });
      parts.push({ type: "image_url", image_url: { url } });
    } else if ("url" in from) {
      throw refused(
        `attachment ${index} is a file (${attachment.mediaType}) at a URL, and Chat Completions takes files only as data. Send the file's bytes as "data", or use api: "responses", which takes a file URL.`,
      );
    } else {
      parts.push({
        type: "file",
        file: { file_data: dataUrl({ ...attachment, data: from.data }), filename: filenameOf(attachment) },
      });
    }
  }
  return parts;
}

/** A user message as Responses API content: `input_text`, then an `input_image` or `input_file` per attachment. */
export function responsesUserContent(message: UserMessage): string | ResponsesPart[] {
  return responsesContent(message.content, message.attachments ?? []);
}

/**
 * A tool result as a `function_call_output`'s `output`: its text alone, or, when the tool returned
 * images or files, the same `input_text`, `input_image` and `input_file` items a user message gets.
 */
export function responsesToolOutput(message: ToolMessage): ToolOutput {
  return responsesContent(message.content, message.attachments ?? []);
}

/**
 * A Chat Completions `tool` message takes text only: a tool result with images or files is refused
 * before any request rather than sent without them.
 */
export function chatToolContent(message: ToolMessage): string {
  const count = message.attachments?.length ?? 0;
  if (count > 0) {
    throw refused(
      `the result of tool "${message.name}" (call ${message.callId}) has ${count} image or file attachment${count === 1 ? "" : "s"}, and a Chat Completions tool message takes text only. Use api: "responses", which takes images and files in tool results, or have the tool return what the model needs as text.`,
    );
  }
  return message.content;
}

function responsesContent(content: string, attachments: readonly Attachment[]): string | ResponsesPart[] {
  if (attachments.length === 0) return content;
  const parts: ResponsesPart[] = content !== "" ? [{ type: "input_text", text: content }] : [];
  for (const [index, attachment] of attachments.entries()) {
    const from = source(attachment, index);
    if (isImage(attachment)) {
      const url = "url" in from ? from.url : dataUrl({ ...attachment, data: from.data });
      parts.push({ type: "input_image", image_url: url, detail: "auto" });
    } else if ("url" in from) {
      parts.push({ type: "input_file", file_url: from.url });
    } else {
      parts.push({
        type: "input_file",
        file_data: dataUrl({ ...attachment, data: from.data }),
        filename: filenameOf(attachment),
      });
    }
  }
  return parts;
}
