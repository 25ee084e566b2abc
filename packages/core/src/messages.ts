import { z } from "zod";
import { JsonValueSchema } from "./json-value.js";

/** A tool call as the model proposed it. `arguments` is the raw JSON text the model produced. */
export const ToolCallSchema = z.object({
  id: z.string(),
  name: z.string(),
  arguments: z.string(),
  /**
   * What the provider needs sent back with the call on the next turns, by provider key, opaque to
   * Loom (Gemini's thought signature: `{ google: { thoughtSignature } }`). Journaled with the call.
   */
  providerMetadata: z.record(z.string(), JsonValueSchema).optional(),
});
export type ToolCall = z.infer<typeof ToolCallSchema>;

/**
 * Reasoning the provider returned with an assistant message. Providers that need it sent back on
 * the next turn (signed thinking blocks, encrypted reasoning items) keep what they need here.
 */
export const ReasoningPartSchema = z.object({
  text: z.string(),
  signature: z.string().optional(),
  redactedData: z.string().optional(),
  id: z.string().optional(),
  encryptedContent: z.string().optional(),
});
export type ReasoningPart = z.infer<typeof ReasoningPartSchema>;

/**
 * An image or a file sent with a user message: at a URL the provider fetches, or as base64 `data`.
 * In the journal, data is stored once per thread by content address (`hash`); a later message
 * with the same bytes carries only the hash.
 */
export const AttachmentSchema = z.object({
  type: z.enum(["image", "file"]),
  /** `image/png`, `image/jpeg`, `application/pdf`... */
  mediaType: z.string().regex(/^[\w.+-]+\/[\w.+-]+$/),
  url: z.string().optional(),
  /** Base64 bytes. */
  data: z.string().optional(),
  /** Address of `data` in the journal (128 bits of SHA-256 of the base64 text). */
  hash: z.string().optional(),
  filename: z.string().optional(),
  /** Tokens the model counts for it, when the caller knows better than Loom's estimate. */
  tokens: z.number().int().nonnegative().optional(),
});
export type Attachment = z.infer<typeof AttachmentSchema>;

export const SystemMessageSchema = z.object({ role: z.literal("system"), content: z.string() });
export const UserMessageSchema = z.object({
  role: z.literal("user"),
  content: z.string(),
  /** Images and files sent with the text (`run([{ type: "text", ... }, { type: "image", ... }])`). */
  attachments: z.array(AttachmentSchema).optional(),
});
export const AssistantMessageSchema = z.object({
  role: z.literal("assistant"),
  content: z.string(),
  toolCalls: z.array(ToolCallSchema).optional(),
  reasoning: z.array(ReasoningPartSchema).optional(),
  refusal: z.string().optional(),
});
export const ToolMessageSchema = z.object({
  role: z.literal("tool"),
  callId: z.string(),
  name: z.string(),
  content: z.string(),
  isError: z.boolean().optional(),
  /** Images and files the tool returned with its text (`toolResult({ content, attachments })`). */
  attachments: z.array(AttachmentSchema).optional(),
});

/** Loom's provider-neutral message. Providers map it to and from their wire format. */
export const MessageSchema = z.discriminatedUnion("role", [
  SystemMessageSchema,
  UserMessageSchema,
  AssistantMessageSchema,
  ToolMessageSchema,
]);
export type SystemMessage = z.infer<typeof SystemMessageSchema>;
export type UserMessage = z.infer<typeof UserMessageSchema>;
export type AssistantMessage = z.infer<typeof AssistantMessageSchema>;
export type ToolMessage = z.infer<typeof ToolMessageSchema>;
export type Message = z.infer<typeof MessageSchema>;

/** Token usage of a model call. `inputTokens` includes cached input tokens (`cachedInputTokens` is a part of it). */
export const UsageSchema = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  reasoningTokens: z.number().int().nonnegative().optional(),
  cachedInputTokens: z.number().int().nonnegative().optional(),
  cacheWriteTokens: z.number().int().nonnegative().optional(),
});
export type Usage = z.infer<typeof UsageSchema>;

/** Normalized finish reason, with the provider's own value kept in `raw`. */
export const FinishReasonSchema = z.object({
  unified: z.enum(["stop", "length", "tool-calls", "content-filter", "refusal", "error", "other"]),
  raw: z.string().optional(),
});
export type FinishReason = z.infer<typeof FinishReasonSchema>;
