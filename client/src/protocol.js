// Wire protocol v1 and its v1.1 and v1.2 additions (docs/protocol.md): names,
// subprotocols, close codes, message types, the codec offer, the token
// subprotocol and URLs. No DOM, no sockets; decoding is codecs.js's.
//
// The constants below mirror glyphcast.protocol (Python) and are checked
// against it by tests/all/test_protocol_constants.py, which reads this file:
// keep each one a plain literal inside Object.freeze(...), one per line.
export const PROTOCOL_VERSION = 1;

/** Codec name (as used in `?codec=`) -> WebSocket subprotocol, for the codecs glyphcast ships. */
export const SUBPROTOCOLS = Object.freeze({
  diff: "glyphcast.diff.v1",
  binary: "glyphcast.binary.v1",
  json: "glyphcast.json.v1",
});

/** Preference order offered when no codec is forced: keyframes+deltas first. */
export const DEFAULT_CODECS = Object.freeze(["diff", "binary", "json"]);

/** The close codes of the protocol. */
export const CLOSE = Object.freeze({
  NORMAL: 1000,
  GOING_AWAY: 1001,
  POLICY: 1008,
  TOO_BIG: 1009,
  INTERNAL: 1011,
  TRY_AGAIN_LATER: 1013,
});

/** Server -> client message types (v1 plus v1.1's end and presence and v1.2's producer). Others are ignored. */
export const SERVER_TYPES = Object.freeze([
  "hello",
  "frame",
  "delta",
  "clear",
  "state",
  "pong",
  "error",
  "end",
  "presence",
  "producer",
]);

/** What `producer` (v1.2) may say: whether the stream's producer is heard from. "live" until told otherwise. */
export const PRODUCER_STATES = Object.freeze([
  "live",
  "stalled",
  "reconnecting",
]);

/** Client -> server messages any client may send. */
export const VIEWER_TYPES = Object.freeze([
  "hello",
  "ping",
  "state_request",
  "resync",
]);

/** Client -> server messages only a controller may send. */
export const CONTROLLER_TYPES = Object.freeze([
  "resize",
  "command",
  "input",
]);

/** The stream a port serves at `/` (v1.1: hello's `stream`); other streams live at /s/NAME/. */
export const MAIN_STREAM = "main";

/** The token travels as one extra subprotocol: this prefix + base64url(UTF-8 token), no padding. */
export const TOKEN_SUBPROTOCOL_PREFIX = "glyphcast.token.";

export class ProtocolError extends Error {}

// RFC 7230 token characters: what a Sec-WebSocket-Protocol entry may contain.
const SUBPROTOCOL_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The codec subprotocols to offer, best first.
 *
 * `forced` (from `?codec=`) is a short name ("json", "binary", "diff") or any
 * subprotocol name, e.g. a third-party "example.jsondiff.v1"; only that one is
 * offered. Otherwise: the known codecs in preference order, then any other
 * codec the server said it offers (`serverCodecs`, from hello's `codecs` or
 * /healthz), minus the ones this viewer found it cannot decode (`skip`).
 * A server that never said (`serverCodecs` null) is assumed to offer the known three.
 */
export function subprotocolsFor(forced, { serverCodecs = null, skip = [] } = {}) {
  if (forced != null && forced !== "") {
    const name = String(forced);
    const known = SUBPROTOCOLS[name.toLowerCase()];
    if (!known && (!SUBPROTOCOL_NAME.test(name) || name.startsWith(TOKEN_SUBPROTOCOL_PREFIX))) {
      throw new ProtocolError(
        `"${forced}" is not a codec name: use ${DEFAULT_CODECS.join(", ")} or a subprotocol such as glyphcast.json.v1`,
      );
    }
    return [known || name].filter((sp) => !skip.includes(sp));
  }
  const preferred = DEFAULT_CODECS.map((c) => SUBPROTOCOLS[c]);
  const offered = serverCodecs == null
    ? preferred
    : [
      ...preferred.filter((sp) => serverCodecs.includes(sp)),
      ...serverCodecs.filter((sp) => !preferred.includes(sp) && SUBPROTOCOL_NAME.test(sp)
        && !sp.startsWith(TOKEN_SUBPROTOCOL_PREFIX)),
    ];
  return offered.filter((sp) => !skip.includes(sp));
}

/** "glyphcast.diff.v1" -> "diff"; another subprotocol -> itself; none negotiated -> "json". */
export function codecName(subprotocol) {
  if (!subprotocol) return "json";
  for (const [name, sp] of Object.entries(SUBPROTOCOLS)) if (sp === subprotocol) return name;
  return subprotocol;
}

/** The subprotocol entry that carries `token`: "glyphcast.token." + base64url(UTF-8), no padding. */
export function tokenSubprotocol(token) {
  const bytes = new TextEncoder().encode(String(token));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  const base64url = btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return TOKEN_SUBPROTOCOL_PREFIX + base64url;
}

/**
 * The stream name worth showing a person: hello's `stream` unless it is the
 * main one (a port with one stream needs no name) or absent (a v1 server); else null.
 */
export function namedStream(stream) {
  return typeof stream === "string" && stream !== "" && stream !== MAIN_STREAM ? stream : null;
}

/** The page's title for a stream: "NAME · glyphcast", or "glyphcast" for the main stream. */
export function pageTitle(stream) {
  const name = namedStream(stream);
  return name ? `${name} · glyphcast` : "glyphcast";
}

/**
 * Read a token from a URL fragment: `#control=TOKEN` (controller) or
 * `#token=TOKEN` (view token); `control` wins when both are there.
 * Returns {token, kind, rest}: rest is the fragment without those keys
 * ("" if nothing is left), for history.replaceState. token is null if none.
 */
export function tokenFromFragment(hash) {
  const params = new URLSearchParams(String(hash || "").replace(/^#/, ""));
  const control = params.get("control");
  const view = params.get("token");
  params.delete("control");
  params.delete("token");
  const rest = params.toString();
  if (control) return { token: control, kind: "control", rest };
  if (view) return { token: view, kind: "token", rest };
  return { token: null, kind: null, rest };
}

/**
 * The WebSocket URL for a page at `location` (anything with an href): `ws`
 * relative to the page's path, ws: or wss: by the page's scheme. A page at
 * /x/y/ connects to /x/y/ws, so the viewer works under a reverse proxy's
 * sub-path. Never carries a token or the page's query string.
 */
export function websocketUrl(location, { path = "ws" } = {}) {
  const url = new URL(path, location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.search = "";
  url.hash = "";
  return url.toString();
}

/** The same URL over HTTP(S): ws://h/x/ws -> http://h/x/ws (to ask why a handshake was refused). */
export function httpUrl(wsUrl) {
  const url = new URL(wsUrl);
  url.protocol = url.protocol === "wss:" ? "https:" : "http:";
  url.hash = "";
  return url.toString();
}

/** The server's /healthz next to a WebSocket URL (ws://h/x/ws -> http://h/x/healthz). */
export function healthUrl(wsUrl) {
  const url = new URL("healthz", httpUrl(wsUrl));
  url.search = "";
  return url.toString();
}

/** The hub's asciinema-player page next to a WebSocket URL (ws://h/s/x/ws -> http://h/s/x/player). */
export function playerUrl(wsUrl) {
  const url = new URL("player", httpUrl(wsUrl));
  url.search = "";
  return url.toString();
}

/** True for the types this viewer acts on. */
export function isKnownServerType(type) {
  return SERVER_TYPES.includes(type);
}
