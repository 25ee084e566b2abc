// Builds the studio's page into dist/page: one script bundled by esbuild, its HTML and CSS copied.
// Nothing is fetched at run time: the page works offline.
import { copyFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));

export async function buildPage(outDir = `${root}dist/page`) {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [`${root}page/main.ts`],
    bundle: true,
    format: "esm",
    target: "es2022",
    minify: true,
    sourcemap: false,
    outfile: `${outDir}/app.js`,
    logLevel: "warning",
  });
  copyFileSync(`${root}page/index.html`, `${outDir}/index.html`);
  copyFileSync(`${root}page/app.css`, `${outDir}/app.css`);
  return outDir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildPage();
