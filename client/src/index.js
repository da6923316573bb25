// @glyphcast/viewer: embed a glyphcast stream in your own page.
//
//   import { GlyphcastViewer } from "@glyphcast/viewer";
//   import "@glyphcast/viewer/style.css";
//   const viewer = new GlyphcastViewer(el, { url: "ws://127.0.0.1:8765/ws" });
export { GlyphcastViewer, VERSION, CLIENT_NAME } from "./viewer.js";
export {
  SUBPROTOCOLS, DEFAULT_CODECS, CLOSE, SERVER_TYPES, subprotocolsFor, tokenFromFragment, tokenSubprotocol, websocketUrl,
} from "./protocol.js";
export { decodeMessage } from "./codecs.js";
export { takeToken } from "./session.js";
export { Screen, paintCursor, paintRows } from "./screen.js";
