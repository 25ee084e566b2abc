import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import { z } from "zod";

const validators = new AjvJsonSchemaValidator();

/** The schema providers see: the server's JSON Schema, without `$schema` (as core's `tool()` does). */
export function providerSchema(inputSchema: Record<string, unknown> | undefined): Record<string, unknown> {
  const { $schema: _ignored, ...schema } = inputSchema ?? { type: "object" };
  return schema.type === undefined ? { type: "object", ...schema } : schema;
}

/**
 * A zod schema that accepts exactly what the server's JSON Schema accepts (checked by ajv, the
 * validator the MCP SDK ships), so core turns arguments that fail it into the tool error the model
 * sees, as it does for zod tools. A schema ajv cannot compile accepts any object: the server still
 * validates what it receives.
 */
export function argumentsSchema(schema: Record<string, unknown>): z.ZodType<Record<string, unknown>> {
  let validate: ((input: unknown) => { valid: boolean; errorMessage?: string | undefined }) | undefined;
  try {
    validate = validators.getValidator(schema);
  } catch {
    validate = undefined;
  }
  return z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
    if (!validate) return;
    const result = validate(value);
    if (result.valid) return;
    const message = (result.errorMessage ?? "data does not match the schema").replace(
      /\bdata(?=[/ ])/g,
      "arguments",
    );
    ctx.addIssue({ code: "custom", message });
  });
}
