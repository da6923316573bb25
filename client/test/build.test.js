// The builds, made for real (esbuild) into a scratch directory under
// node_modules/.cache, so that the ES modules there resolve their imports
// the way a page's bundler would.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm, readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Terminal } from "@xterm/xterm";
import { build } from "../build.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const client = join(here, "..");
const scratch = join(client, "node_modules", ".cache", "glyphcast-build-test");
const viewerDir = join(scratch, "viewer");
const distDir = join(scratch, "dist");
/** A string only xterm.js's own code contains (the class of its hidden input element). */
const XTERM_MARK = "xterm-helper-textarea";

let built;
before(async () => {
  await rm(scratch, { recursive: true, force: true });
  built = await build({ viewerDir, distDir, quiet: true });
});

test("the peer ES module carries no xterm.js: it imports the page's @xterm/xterm", async () => {
  const source = await readFile(join(distDir, "glyphcast-viewer.peer.mjs"), "utf8");
  assert.equal(source.includes(XTERM_MARK), false, "xterm.js was bundled into the peer module");
  assert.match(source, /from\s*"@xterm\/xterm"/);
  const peer = await import(pathToFileURL(join(distDir, "glyphcast-viewer.peer.mjs")).href);
  const view = new peer.TerminalView({ width: 4, height: 1 });
  try {
    assert.ok(view.terminal instanceof Terminal, "the viewer draws on the page's xterm.js, not a copy of its own");
  } finally {
    view.dispose();
  }
  assert.equal(typeof peer.GlyphcastViewer, "function");
});

test("the standalone ES module and the page's bundle carry xterm.js themselves", async () => {
  for (const file of [join(distDir, "glyphcast-viewer.mjs"), join(viewerDir, "viewer.js"), join(viewerDir, "glyphcast-viewer.mjs")]) {
    const source = await readFile(file, "utf8");
    assert.ok(source.includes(XTERM_MARK), file);
    assert.doesNotMatch(source, /from\s*"@xterm\//, file);
  }
  const standalone = await import(pathToFileURL(join(distDir, "glyphcast-viewer.mjs")).href);
  const view = new standalone.TerminalView({ width: 4, height: 1 });
  try {
    assert.equal(view.terminal instanceof Terminal, false);
  } finally {
    view.dispose();
  }
});

test("the peer module is a small part of the standalone one; its stylesheet leaves xterm's to the page", async () => {
  const peer = built.sizes["glyphcast-viewer.peer.mjs"];
  const standalone = built.sizes["glyphcast-viewer.mjs"];
  assert.ok(peer * 5 < standalone, `peer ${peer} B, standalone ${standalone} B`);
  const peerCss = await readFile(join(distDir, "glyphcast-viewer.peer.css"), "utf8");
  const standaloneCss = await readFile(join(distDir, "glyphcast-viewer.css"), "utf8");
  assert.ok(standaloneCss.includes(".xterm-viewport") && !peerCss.includes(".xterm-helpers"));
  assert.ok(peerCss.includes(".gc-status"));
});

test("the hub's directory gets the page, both modules and the player", async () => {
  const files = (await readdir(viewerDir)).sort();
  for (const file of ["index.html", "favicon.svg", "viewer.js", "viewer.css", "glyphcast-viewer.mjs", "glyphcast-viewer.css",
    "glyphcast-viewer.peer.mjs", "glyphcast-viewer.peer.css", "player.html", "player.js", "player.css", ".gitignore"]) {
    assert.ok(files.includes(file), `${file} missing from ${files}`);
  }
});

test("package.json: the package's main export is the peer module, and @xterm/xterm a peer dependency", async () => {
  const manifest = JSON.parse(await readFile(join(client, "package.json"), "utf8"));
  assert.equal(manifest.exports["."], "./dist/glyphcast-viewer.peer.mjs");
  assert.equal(manifest.exports["./style.css"], "./dist/glyphcast-viewer.peer.css");
  assert.equal(manifest.exports["./standalone"], "./dist/glyphcast-viewer.mjs");
  assert.equal(manifest.exports["./standalone.css"], "./dist/glyphcast-viewer.css");
  assert.ok(manifest.peerDependencies["@xterm/xterm"]);
  assert.equal(manifest.dependencies["@xterm/xterm"], undefined);
});
