// @ts-expect-error: the build script is plain JavaScript, run by node in `pnpm build`
import { buildPage } from "../scripts/build-page.mjs";

export default async function setup(): Promise<void> {
  await buildPage();
}
