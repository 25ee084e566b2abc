// What the conformance suite ran against: @loom/core and @loom/testing as installed from their
// packed tarballs (no workspace link, no source alias), one copy of @loom/core for both.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { ProviderError } from "@loom/core";
import { failedCall, userRequest } from "@loom/testing";
import { describe, expect, it } from "vitest";
import { createFetchChatProvider } from "../src/index.js";

const packed = fileURLToPath(new URL("../.packed/", import.meta.url));

describe("@loom/core and @loom/testing come from packed tarballs", () => {
  it("npm installed them from the tarballs, at the version each package.json says", () => {
    const lock = JSON.parse(readFileSync(`${packed}package-lock.json`, "utf8")) as {
      packages: Record<string, { resolved?: string; version?: string }>;
    };
    for (const name of ["core", "testing"]) {
      const entry = lock.packages[`node_modules/@loom/${name}`];
      const source = JSON.parse(
        readFileSync(
          fileURLToPath(new URL(`../../../packages/${name}/package.json`, import.meta.url)),
          "utf8",
        ),
      ) as { version: string };
      expect(entry?.resolved, name).toMatch(/^file:tarballs\/loom-.*\.tgz$/);
      expect(entry?.version, name).toBe(source.version);
    }
  });

  it("the provider and the kit share one @loom/core: the kit's errors are the provider's class", async () => {
    const require = createRequire(`${packed}node_modules/@loom/testing/package.json`);
    expect(require.resolve("@loom/core")).toContain(`${packed}node_modules/@loom/core/`);
    const provider = createFetchChatProvider({
      model: "gpt-4o",
      apiKey: "sk-test-0000000000",
      baseURL: "http://127.0.0.1:9",
    });
    const error = await failedCall(provider, userRequest("Hello"));
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe("network");
  });
});
