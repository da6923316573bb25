// The page at /player (and /s/NAME/player) of a hub with glyphcast-asciinema:
// the stock asciinema-player from npm, bundled here, watching this stream live
// over its WebSocket, "ws" next to this page (so it works under a reverse
// proxy's sub-path). The player offers v1.alis, v2.asciicast, v3.asciicast and
// raw, in that order; the hub answers with the first one it has.
//
// Query: ?fit=width|height|both|none (default both), ?theme=NAME (one of the
// player's themes), ?buffer=MS or ?buffer=auto (the player's adaptive buffer;
// default 0: a glyphcast stream is already one update per frame, and with a
// buffer the player drops what it holds when the stream ends, so the final
// frame could be lost). A view token comes in the fragment, #token=TOKEN, as
// for the viewer, and is offered as the hub's token subprotocol.
import { create } from "asciinema-player";
import { tokenSubprotocol, websocketUrl } from "./protocol.js";
import { takeToken } from "./session.js";

const params = new URLSearchParams(location.search);
const root = document.getElementById("player");
const token = takeToken({ location, history, storage: sessionStorageOrNull() });
if (token) offerAlso(tokenSubprotocol(token));

const url = websocketUrl(location);
// Tests and curious users reach it as window.glyphcastPlayer.
const state = (window.glyphcastPlayer = { url, ended: false, player: null });
state.player = create({ driver: "websocket", url, bufferTime: bufferTime(params.get("buffer")) }, root, {
  autoPlay: true,
  fit: params.get("fit") || "both",
  theme: params.get("theme") || undefined,
});
state.player.addEventListener("ended", () => {
  state.ended = true;
});

function bufferTime(value) {
  if (value === "auto") return undefined; // the player's adaptive buffer
  const ms = Number(value ?? 0);
  return Number.isFinite(ms) && ms >= 0 ? ms : 0;
}

// asciinema-player opens its WebSocket with its own list of subprotocols; a
// browser cannot send the token any other way (no headers on a WebSocket, and
// never in the URL), so this page adds the token entry to that list.
function offerAlso(entry) {
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(target, protocols) {
      super(target, [...[].concat(protocols ?? []), entry]);
    }
  };
}

function sessionStorageOrNull() {
  try {
    return window.sessionStorage;
  } catch (err) {
    console.info("glyphcast: sessionStorage unavailable:", err.message);
    return null;
  }
}
