// The page glyphcast-websocket serves: one full-window viewer of the stream
// whose WebSocket is "ws" next to this page (so it works under a reverse
// proxy's sub-path). `?codec=NAME` forces a codec (json, binary, diff or any
// subprotocol name). A token comes in the fragment, `#control=TOKEN` or
// `#token=TOKEN`: never in a URL the page requests (see session.js).
import { GlyphcastViewer } from "./viewer.js";
import { pageTitle } from "./protocol.js";
import { takeToken } from "./session.js";

const params = new URLSearchParams(location.search);
const root = document.getElementById("glyphcast");
try {
  const token = takeToken({ location, history, storage: sessionStorageOrNull() });
  // Tests and curious users reach the viewer as window.glyphcast.
  window.glyphcast = new GlyphcastViewer(root, {
    codec: params.get("codec") || undefined,
    token: token || undefined,
  });
  // The tab says which stream it shows (hello names it, v1.1).
  window.glyphcast.addEventListener("hello", () => {
    document.title = pageTitle(window.glyphcast.stream);
  });
} catch (err) {
  root.textContent = `glyphcast viewer: ${err.message}`;
  root.classList.add("gc-fatal");
  throw err;
}

function sessionStorageOrNull() {
  try {
    return window.sessionStorage;
  } catch (err) {
    // Storage disabled (privacy settings, sandboxed frame): the token lasts until reload.
    console.info("glyphcast: sessionStorage unavailable:", err.message);
    return null;
  }
}
