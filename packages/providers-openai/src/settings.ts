import type { ModelSettings, ResponseFormat } from "@loom/core";

/**
 * `settings.providerOptions.openai`: fields merged into the request body as they are (for
 * example `reasoning`, `tool_choice`, `parallel_tool_calls`, `service_tier`, `include`).
 */
/** `settings.responseFormat` as the API's json_schema format (Chat nests it under `json_schema`). */
export function jsonSchemaFormat(format: ResponseFormat) {
  return {
    name: format.name,
    schema: { ...format.schema },
    strict: isStrictSchema(format.schema),
    ...(format.description !== undefined ? { description: format.description } : {}),
  };
}

/**
 * Whether strict structured outputs accept the schema: every object closed
 * (`additionalProperties: false`) with all its properties required. Otherwise it goes non-strict.
 */
function isStrictSchema(schema: unknown, depth = 0): boolean {
  if (depth > 64 || typeof schema !== "object" || schema === null) return true;
  if (Array.isArray(schema)) return schema.every((item) => isStrictSchema(item, depth + 1));
  const node = schema as Record<string, unknown>;
  const properties = node.properties;
  if (typeof properties === "object" && properties !== null) {
    const required = Array.isArray(node.required) ? node.required : [];
    if (node.additionalProperties !== false) return false;
    if (!Object.keys(properties).every((key) => required.includes(key))) return false;
    if (!Object.values(properties).every((value) => isStrictSchema(value, depth + 1))) return false;
  }
  for (const [key, value] of Object.entries(node)) {
    if (key !== "properties" && !isStrictSchema(value, depth + 1)) return false;
  }
  return true;
}

export function providerOptions(settings: ModelSettings): Record<string, unknown> {
  const value = settings.providerOptions?.openai;
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? { ...(value as Record<string, unknown>) }
    : {};
}
