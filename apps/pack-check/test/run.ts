import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { loadRecording, type ReplayServer, recordingPath, startReplayServer } from "@loom/testing";
import { packagesDir, repoRoot } from "./readme.ts";

export interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command; never throws, the outcome says how it ended. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? cleanEnv(),
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 64 << 20,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/**
 * The environment of a user's shell: none of vitest's own variables (they confuse a child vitest), nor
 * the npm_* and pnpm ones a package-manager script sets (they change what npx and npm do), nor
 * NODE_PATH (pnpm's bin shims point it at the workspace's whole store: a package missing from an
 * install folder would still load).
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(VITEST|TEST$|NODE_OPTIONS$|NODE_PATH$|NODE_ENV$|TINYPOOL|npm_|PNPM_|pnpm_)/i.test(key))
      env[key] = value;
  }
  return { ...env, NO_COLOR: "1", ...extra };
}

export const DATABASE_URL =
  process.env.LOOM_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/loom_test";

/** What a README block of this package talks to: replayed API answers instead of the real APIs. */
const RECORDING: Record<string, string> = {
  "providers-openai": "openai/chat-stream-text.openai-python.sse",
  "providers-anthropic": "anthropic/messages-stream-text.vercel-ai.chunks.txt",
  // @ai-sdk/openai reads OPENAI_BASE_URL too; the README example uses its chat model.
  "providers-ai-sdk": "openai/chat-stream-text.openai-python.sse",
};

/**
 * The environment a README example of `dir` runs in, as a user's would be set: API keys, the SDKs'
 * own base-URL variables pointing at a replay server of a real recorded answer, a database URL.
 */
export async function exampleEnv(
  dir: string,
): Promise<{ env: NodeJS.ProcessEnv; close: () => Promise<void> }> {
  const recording = RECORDING[dir];
  let server: ReplayServer | undefined;
  const extra: Record<string, string> = {
    OPENAI_API_KEY: "sk-test-readme",
    ANTHROPIC_API_KEY: "sk-ant-test-readme",
    DATABASE_URL,
  };
  if (recording) {
    server = await startReplayServer(loadRecording(recordingPath(recording)));
    extra.OPENAI_BASE_URL = `${server.url}/v1`;
    extra.ANTHROPIC_BASE_URL = server.url;
  }
  return { env: cleanEnv(extra), close: async () => void (await server?.close()) };
}

/**
 * A folder outside the repository whose node_modules holds every workspace package (linked to
 * packages/*, so they load from dist/) and this app's other devDependencies (zod, openai, vitest,
 * @types/node): a README example written there imports exactly what a user's program imports.
 */
export function linkWorkspace(folder: string): void {
  const modules = join(folder, "node_modules");
  mkdirSync(join(modules, "@loom"), { recursive: true });
  for (const dir of readdirSync(packagesDir)) {
    if (existsSync(join(packagesDir, dir, "package.json")))
      symlinkSync(join(packagesDir, dir), join(modules, "@loom", dir));
  }
  const own = join(repoRoot, "apps", "pack-check", "node_modules");
  for (const entry of readdirSync(own)) {
    if (entry === "@loom" || entry.startsWith(".")) continue;
    if (entry.startsWith("@")) {
      mkdirSync(join(modules, entry), { recursive: true });
      for (const scoped of readdirSync(join(own, entry)))
        symlinkSync(join(own, entry, scoped), join(modules, entry, scoped));
    } else symlinkSync(join(own, entry), join(modules, entry));
  }
}
