// Module resolution hooks (see es-builds.mjs): a bare import of one of these
// packages resolves to the file its package.json names as "module".
import { readFile } from "node:fs/promises";

const ES_BUILD_PACKAGES = new Set(["@xterm/xterm", "@xterm/addon-fit"]);

export async function resolve(specifier, context, nextResolve) {
  if (!ES_BUILD_PACKAGES.has(specifier)) return nextResolve(specifier, context);
  const manifest = await nextResolve(`${specifier}/package.json`, context);
  const { module } = JSON.parse(await readFile(new URL(manifest.url), "utf8"));
  if (!module) throw new Error(`${specifier} names no ES build ("module") in its package.json`);
  return { url: new URL(module, manifest.url).href, format: "module", shortCircuit: true };
}
