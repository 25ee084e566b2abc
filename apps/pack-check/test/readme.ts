import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
export const packagesDir = join(repoRoot, "packages");

export interface PublicPackage {
  /** The folder under packages/, e.g. "core". */
  readonly dir: string;
  readonly name: string;
  readonly manifest: {
    name: string;
    version: string;
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  };
  readonly readme: string;
}

/** Every package under packages/ that is published (not private) and has a README. */
export function publicPackages(): PublicPackage[] {
  return readdirSync(packagesDir)
    .filter((dir) => existsSync(join(packagesDir, dir, "package.json")))
    .map((dir) => {
      const manifest = JSON.parse(readFileSync(join(packagesDir, dir, "package.json"), "utf8"));
      const readmePath = join(packagesDir, dir, "README.md");
      const readme = existsSync(readmePath) ? readFileSync(readmePath, "utf8") : "";
      return { dir, name: manifest.name as string, manifest, readme, private: manifest.private === true };
    })
    .filter((pkg) => !pkg.private);
}

export interface ReadmeBlock {
  /** `<dir>-<line>`: a file name that says where the block is. */
  readonly id: string;
  readonly line: number;
  readonly code: string;
  /** The reason of a `<!-- not-run: reason -->` comment right above the block. */
  readonly notRun?: string;
  /** The block registers vitest tests: it runs under vitest, not node. */
  readonly vitest: boolean;
}

/** The ```ts blocks of a README, in order. */
export function tsBlocks(dir: string, readme: string): ReadmeBlock[] {
  const blocks: ReadmeBlock[] = [];
  const pattern = /(?:<!--\s*not-run:\s*([\s\S]*?)\s*-->[ \t]*\n\s*)?```ts\n([\s\S]*?)```/g;
  for (const match of readme.matchAll(pattern)) {
    const code = match[2] ?? "";
    const start = (match.index ?? 0) + match[0].indexOf("```ts");
    const line = readme.slice(0, start).split("\n").length;
    blocks.push({
      id: `${dir}-${line}`,
      line,
      code,
      ...(match[1] !== undefined ? { notRun: match[1] } : {}),
      vitest: /from "(vitest|@loom\/testing\/vitest)"/.test(code),
    });
  }
  return blocks;
}

/** The packages of a README's install line (```sh npm install a b ...), comments dropped. */
export function installLine(readme: string): string[] {
  const block = /```(\w*)\n([\s\S]*?)```/.exec(readme);
  const line = block?.[1] === "sh" ? block[2]?.split("\n")[0] : undefined;
  if (!line?.startsWith("npm install ")) return [];
  return line
    .replace(/#.*$/, "")
    .slice("npm install ".length)
    .split(/\s+/)
    .filter((word) => word && !word.startsWith("-"));
}

/** The packages a block imports (bare specifiers, no node: builtins), as package names. */
export function importedPackages(code: string): string[] {
  const names = new Set<string>();
  for (const match of code.matchAll(/^import\s[\s\S]*?from\s+"([^"]+)";?/gm)) {
    const specifier = match[1] ?? "";
    if (specifier.startsWith("node:") || specifier.startsWith(".")) continue;
    const parts = specifier.split("/");
    names.add(specifier.startsWith("@") ? `${parts[0]}/${parts[1]}` : (parts[0] ?? specifier));
  }
  return [...names];
}

/**
 * The same program as CommonJS: imports become requires, and the body (which may await at top
 * level) runs in an async function whose failure fails the process.
 */
export function toCommonJs(code: string): string {
  const requires: string[] = [];
  const body = code.replace(
    /^import\s+([\s\S]*?)\s+from\s+"([^"]+)";?[ \t]*\n/gm,
    (_all, clause: string, from) => {
      const spec = JSON.stringify(from);
      if (clause.startsWith("type ")) return "";
      if (clause.startsWith("* as ")) requires.push(`const ${clause.slice(5).trim()} = require(${spec});`);
      else if (clause.startsWith("{")) {
        const names = clause
          .slice(1, -1)
          .split(",")
          .map((name) => name.trim())
          .filter((name) => name && !name.startsWith("type "))
          .map((name) => name.replace(/\s+as\s+/, ": "));
        requires.push(`const { ${names.join(", ")} } = require(${spec});`);
      } else requires.push(`const ${clause.trim()} = require(${spec});`);
      return "";
    },
  );
  return `${requires.join("\n")}\n\n(async () => {\n${body}\n})().catch((error) => {\n  console.error(error);\n  process.exit(1);\n});\n`;
}
