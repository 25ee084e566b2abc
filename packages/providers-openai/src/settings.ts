import type { ModelSettings } from "@loom/core";

/**
 * `settings.providerOptions.openai`: fields merged into the request body as they are (for
 * example `reasoning`, `tool_choice`, `parallel_tool_calls`, `service_tier`, `include`).
 */
export function providerOptions(settings: ModelSettings): Record<string, unknown> {
  const value = settings.providerOptions?.openai;
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? { ...(value as Record<string, unknown>) }
    : {};
}
