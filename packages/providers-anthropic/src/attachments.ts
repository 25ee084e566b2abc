import type Anthropic from "@anthropic-ai/sdk";
import { type Attachment, ProviderError, type ToolMessage, type UserMessage } from "@loom/core";

type BlockParam = Anthropic.Messages.ContentBlockParam;
type AttachmentBlock = Anthropic.Messages.ImageBlockParam | Anthropic.Messages.DocumentBlockParam;
type ToolResultContent = NonNullable<Anthropic.Messages.ToolResultBlockParam["content"]>;
type ImageMediaType = Anthropic.Messages.Base64ImageSource["media_type"];

const IMAGE_TYPES: ReadonlySet<string> = new Set<ImageMediaType>([
  "image/jpeg",
  "image/png",
  "image/gif",
  "image/webp",
]);

function refused(what: string): ProviderError {
  return new ProviderError("bad_request", `Anthropic cannot take this attachment: ${what}`, {
    provider: "anthropic",
    retryable: false,
  });
}

/** A user message as Messages API blocks: its text, then an `image` or `document` block per attachment. */
export function userBlocks(message: UserMessage): BlockParam[] {
  const attachments = message.attachments ?? [];
  const blocks: BlockParam[] =
    message.content !== "" || attachments.length === 0 ? [{ type: "text", text: message.content }] : [];
  for (const [index, attachment] of attachments.entries()) blocks.push(attachmentBlock(attachment, index));
  return blocks;
}

/**
 * A tool result's `content`: its text alone, or, when the tool returned images or files, a text
 * block then the same `image` and `document` blocks a user message gets.
 */
export function toolResultContent(message: ToolMessage): ToolResultContent {
  const attachments = message.attachments ?? [];
  if (attachments.length === 0) return message.content;
  return [
    ...(message.content !== "" ? [{ type: "text" as const, text: message.content }] : []),
    ...attachments.map(attachmentBlock),
  ];
}

function attachmentBlock(attachment: Attachment, index: number): AttachmentBlock {
  const { mediaType, data, url } = attachment;
  const name = `attachment ${index} (${mediaType})`;
  const from: { data: string } | { url: string } | undefined =
    data !== undefined ? { data } : url !== undefined ? { url } : undefined;
  if (from === undefined) throw refused(`${name} has neither "url" nor "data".`);
  const title = attachment.filename !== undefined ? { title: attachment.filename } : {};
  if (attachment.type === "image" || mediaType.startsWith("image/")) {
    if (!isImageMediaType(mediaType)) {
      throw refused(
        `${name}: the Messages API takes images as JPEG, PNG, GIF or WebP. Convert the image to one of these.`,
      );
    }
    return {
      type: "image",
      source:
        "data" in from
          ? { type: "base64", media_type: mediaType, data: from.data }
          : { type: "url", url: from.url },
    };
  }
  if (mediaType === "application/pdf") {
    return {
      type: "document",
      source:
        "data" in from
          ? { type: "base64", media_type: "application/pdf", data: from.data }
          : { type: "url", url: from.url },
      ...title,
    };
  }
  if (mediaType.startsWith("text/")) {
    if (!("data" in from)) {
      throw refused(
        `${name} is a text file at a URL, and the Messages API fetches only images and PDFs by URL. Send the file's bytes as "data".`,
      );
    }
    return {
      type: "document",
      source: {
        type: "text",
        media_type: "text/plain",
        data: Buffer.from(from.data, "base64").toString("utf8"),
      },
      ...title,
    };
  }
  throw refused(
    `${name}: the Messages API takes images (JPEG, PNG, GIF, WebP), PDFs and text files only. Send the content as text, or convert it to PDF.`,
  );
}

function isImageMediaType(mediaType: string): mediaType is ImageMediaType {
  return IMAGE_TYPES.has(mediaType);
}
