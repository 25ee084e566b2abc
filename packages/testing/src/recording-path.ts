import { fileURLToPath } from "node:url";

/** Absolute path of a recording shipped with @loom/testing, e.g. `recordingPath("openai/chat-stream-text.openai-python.sse")`. */
export function recordingPath(relative: string): string {
  return fileURLToPath(new URL(`../recordings/${relative}`, import.meta.url));
}
