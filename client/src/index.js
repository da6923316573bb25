// @glyphcast/viewer: embed a glyphcast stream in your own page.
//
//   import { GlyphcastViewer } from "@glyphcast/viewer";
//   import "@xterm/xterm/css/xterm.css";
//   import "@glyphcast/viewer/style.css";
//   const viewer = new GlyphcastViewer(el, { url: "ws://127.0.0.1:8765/ws" });
//
// The parts are exported too, for a page that wants its own renderer or status line.
export { GlyphcastViewer } from "./viewer.js";
export { Connection, VERSION, CLIENT_NAME } from "./connection.js";
export {
  SUBPROTOCOLS, DEFAULT_CODECS, CLOSE, SERVER_TYPES, subprotocolsFor, tokenFromFragment, tokenSubprotocol, websocketUrl,
} from "./protocol.js";
export { decodeMessage, encodeMessage } from "./codecs.js";
export { Backoff, afterClose, afterRefusal } from "./reconnect.js";
export { takeToken } from "./session.js";
export { Screen } from "./screen.js";
export { TerminalView, paintCursor, paintRows } from "./terminal.js";
export { StatusView, statusParts } from "./status.js";
