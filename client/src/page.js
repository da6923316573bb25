// The page glyphcast-websocket serves at GET /: one full-window viewer of the
// stream on the page's own host. `?codec=json|binary|diff` forces a codec,
// `?token=` is passed through to the WebSocket.
import { GlyphcastViewer } from "./viewer.js";

const params = new URLSearchParams(location.search);
const root = document.getElementById("glyphcast");
try {
  // Tests and curious users reach the viewer as window.glyphcast.
  window.glyphcast = new GlyphcastViewer(root, {
    codec: params.get("codec") || undefined,
    token: params.get("token") || undefined,
  });
} catch (err) {
  root.textContent = `glyphcast viewer: ${err.message}`;
  root.classList.add("gc-fatal");
  throw err;
}
