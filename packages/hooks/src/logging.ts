import type { ExecutionFrame, Hook } from "@loom/core";
import { type RedactionOptions, redactValue } from "./redaction.js";

/** Any logger with pino's calling convention: `logger.info(fields, message)`. */
export interface StructuredLogger {
  info(fields: Record<string, unknown>, message?: string): void;
  warn(fields: Record<string, unknown>, message?: string): void;
  error(fields: Record<string, unknown>, message?: string): void;
}

export interface LoggingOptions {
  readonly logger: StructuredLogger;
  /** Longest tool result logged, in characters. Default 200. */
  readonly maxContentChars?: number;
  /** Secrets are always masked; these add patterns. */
  readonly redaction?: RedactionOptions;
  readonly name?: string;
}

/** Structured log lines for each step of a run, with secrets masked. */
export function LoggingHook(options: LoggingOptions): Hook {
  const { logger } = options;
  const max = options.maxContentChars ?? 200;
  const clean = <T>(value: T): T => redactValue(value, options.redaction ?? {});
  const where = (frame: ExecutionFrame) => ({
    threadId: frame.threadId,
    runId: frame.runId,
    frameId: frame.frameId,
    iteration: frame.iteration,
  });
  const preview = (text: string) => clean(text.length > max ? `${text.slice(0, max)}…` : text);
  return {
    name: options.name ?? "logging",
    beforeIterationStart: ({ frame }) => {
      logger.info({ ...where(frame), iteration: frame.iteration + 1 }, "iteration started");
    },
    beforeLLMCall: ({ frame, request }) => {
      logger.info(
        { ...where(frame), messages: request.messages.length, tools: request.tools.length },
        "model call",
      );
    },
    afterLLMResponse: ({ frame, response }) => {
      logger.info(
        {
          ...where(frame),
          finishReason: response.finishReason.unified,
          inputTokens: response.usage.inputTokens,
          outputTokens: response.usage.outputTokens,
          toolCalls: (response.message.toolCalls ?? []).map((c) => c.name),
        },
        "model answered",
      );
    },
    beforeToolExecution: ({ frame, call }) => {
      logger.info(
        { ...where(frame), tool: call.name, callId: call.callId, ref: call.ref, args: clean(call.args) },
        "tool call",
      );
    },
    afterToolExecution: ({ frame, call, result }) => {
      const fields = {
        ...where(frame),
        tool: call.name,
        callId: call.callId,
        ref: call.ref,
        result: preview(result.content),
      };
      if (result.isError) logger.warn(fields, "tool failed");
      else logger.info(fields, "tool done");
    },
    beforeRecursion: ({ frame, call, input }) => {
      logger.info({ ...where(frame), agent: call.name, input: preview(input) }, "sub-agent started");
    },
    afterIterationEnd: ({ frame }) => {
      logger.info(
        { ...where(frame), inputTokens: frame.usage.inputTokens, outputTokens: frame.usage.outputTokens },
        "iteration ended",
      );
    },
  };
}
