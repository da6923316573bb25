// `node --import ./test/support/es-builds.mjs`: load xterm.js as the viewer
// ships it. @xterm/xterm and @xterm/addon-fit declare no "exports"; node
// would take their "main" (CommonJS, whose named exports it cannot see),
// where bundlers and import maps use the ES build named by "module". The
// tests load that same ES build.
import { register } from "node:module";

register("./es-builds-hooks.mjs", import.meta.url);
