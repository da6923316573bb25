// What the viewer tells a person: every sentence it shows (the *Message
// functions, so each can be checked against what the server really does),
// the status line under the screen and the notice over it when the stream
// stopped for good. Everything but StatusView is pure; StatusView puts the
// status line and the notice in the page.
import { SUBPROTOCOLS, codecName, namedStream } from "./protocol.js";

/** States that stop the viewer for good: their message is shown over the screen too. */
export const NOTICE_STATES = Object.freeze(["ended", "rejected", "unsupported codec"]);

// --- sentences ----------------------------------------------------------------

export function connectingMessage(url) {
  return `connecting to ${url}`;
}

export const WAITING_FOR_HELLO = "connected, waiting for hello";

export const CLOSED = "closed";

/** The URL cannot even be tried (the WebSocket constructor threw). */
export function cannotConnectMessage(error) {
  return `cannot connect: ${error.message}`;
}

/**
 * The state part while connected: whether the stream's producer is heard from
 * (v1.2 `producer`: "live", "stalled", "reconnecting").
 */
export function producerMessage(producer) {
  return `● ${producer}`;
}

/** The server sent `end` (v1.1) or closed with 1000. */
export function endedMessage(reason) {
  return reason ? `stream ended: ${reason}` : "stream ended";
}

/**
 * A close with 1008 (policy). The hub sends it to a client that leaves its
 * replies unread. A wrong token never gets here: the server refuses the
 * handshake with HTTP 403, which a browser sees only as a failed connection
 * (close 1006, see refusedMessage).
 */
export function policyCloseMessage(reason) {
  return `closed by server: ${reason || "policy violation (1008)"} (not retrying; reload to connect again)`;
}

/** A close with 1013, or a handshake refused with 503. */
export function serverFullMessage(reason, retryIn) {
  return `${reason || "server full"} (trying again in ${Math.round(retryIn / 1000)} s)`;
}

/**
 * Any other close: reconnecting. `opened` false: the socket never opened,
 * which is all a browser sees of a refused handshake (a wrong token is one).
 */
export function reconnectingMessage({ reason = "", opened = true, retryIn }) {
  const why = reason ? `${reason}; `
    : opened ? "" : "no connection: server down, or it refused the handshake (token?); ";
  return `reconnecting… (${why}next try in ${(retryIn / 1000).toFixed(1)} s)`;
}

/** The hub's reason for refusing a page's origin starts so (security.py, Policy.admit). */
const ORIGIN_REFUSED = /^origin .* is not allowed/;

/** A refused handshake explained over HTTP: 403 (token or origin) or 421 (host name). */
export function refusedMessage(status, why) {
  if (status === 403 && ORIGIN_REFUSED.test(why)) {
    return `origin not allowed (${status}): ${why} (not retrying; reload once the server accepts this page's origin)`;
  }
  const guess = status === 403 ? "missing or wrong token, or this page's origin is not allowed" : "this host name is not allowed";
  return `refused by server (${status}): ${why || guess} (not retrying; check the #control=/#token= link, then reload)`;
}

/** A refused handshake explained over HTTP: 429. */
export function throttledMessage(why, retryIn) {
  return `too many refused attempts${why ? `: ${why}` : ""} (next try in ${Math.round(retryIn / 1000)} s)`;
}

/** asciinema's live formats (glyphcast-asciinema): a hub that has them serves asciinema-player at `player`. */
const ASCIINEMA_FORMATS = Object.freeze(["v1.alis", "v2.asciicast", "v3.asciicast"]);

/**
 * No codec is left to offer: the ones tried could not be decoded (`tried`,
 * subprotocol names), `detail` says why the last one failed. What to try
 * names only codecs the server offers (`serverCodecs`; null: it never said),
 * and `playerUrl` (the hub's asciinema-player page next to the stream) when
 * what it offers is asciinema's.
 */
export function unsupportedCodecMessage({ tried = [], detail = "", serverCodecs = null, playerUrl = null }) {
  const names = tried.length ? tried.join(", ") : "the offered codec";
  const cannot = `this viewer cannot decode ${names} (it reads JSON text and msgpack binary maps${detail ? `; ${detail}` : ""}).`;
  if (serverCodecs == null) return `${cannot} Try a viewer made for the server's codec.`;
  const readable = serverCodecs.filter((sp) => Object.values(SUBPROTOCOLS).includes(sp) && !tried.includes(sp));
  if (readable.length) return `${cannot} The server offers ${serverCodecs.join(", ")}. Try ?codec=${codecName(readable[0])}.`;
  const player = playerUrl && serverCodecs.some((sp) => ASCIINEMA_FORMATS.includes(sp)) ? `: asciinema-player, at ${playerUrl}` : "";
  return `${cannot} The server offers only ${serverCodecs.join(", ")}: watch it with a viewer made for that codec${player}.`;
}

// --- the status line and the notice ------------------------------------------------

/** What the notice over the screen says in `state`, or null: no notice. */
export function noticeText(state, message) {
  return NOTICE_STATES.includes(state) ? message : null;
}

/**
 * The status line's parts, [class suffix, text], from a look at the viewer:
 * {state, message, stream, codec, role, width, height, fps, latency,
 *  bytesPerSecond, compressed, presence, engineState, lastError, producer}.
 * Rates and latency are shown only while live. While connected, the state is
 * the producer's: "● live", or "● stalled" / "● reconnecting" when the server
 * says its producer is not heard from.
 */
export function statusParts(look) {
  const { state, message, stream, codec, role, width, height, fps, latency, bytesPerSecond } = look;
  const { presence, engineState, lastError, producer } = look;
  const live = state === "live";
  const name = namedStream(stream);
  const parts = [
    ["state", live ? producerMessage(producer || "live") : message || state],
    ...(name ? [["stream", `stream ${name}`]] : []),
    ["codec", codec ?? "—"],
    ["role", role === "controller" ? "controller" : role ? "read-only viewer" : "—"],
    ["size", `${width}×${height}`],
    ["fps", live ? `${fps.toFixed(0)} fps` : "— fps"],
    ["latency", live && latency != null ? `${latency.toFixed(0)} ms` : "— ms"],
    ["rate", live ? `${(bytesPerSecond / 1000).toFixed(1)} kB/s${look.compressed ? " decoded" : ""}` : "— kB/s"],
  ];
  if (presence && Number.isFinite(presence.viewers)) {
    const { viewers, controllers } = presence;
    const also = Number.isFinite(controllers) && controllers > 0 ? ` (${controllers} controlling)` : "";
    parts.push(["viewers", `${viewers} ${viewers === 1 ? "viewer" : "viewers"}${also}`]);
  } else if (engineState && typeof engineState === "object" && engineState.viewers != null) {
    parts.push(["viewers", `${engineState.viewers} viewers`]);
  }
  if (lastError && live) parts.push(["error", `error: ${lastError.message}`]);
  return parts;
}

/**
 * The tooltip of a status part (by its name, as statusParts gives them), or
 * null: what the number counts, where that is not plain.
 */
export function partTitle(name, look) {
  if (name === "rate") {
    return look.compressed
      ? "bytes per second of messages after permessage-deflate decompression: a browser does not tell a page "
        + "how many compressed bytes the network carried, which is fewer"
      : "bytes per second of the messages received (no compression negotiated: what the network carried, "
        + "less a few bytes of framing per message)";
  }
  if (name === "viewers") {
    return "clients of this stream on this server, controllers included; behind a load balancer, "
      + "each edge server counts only its own";
  }
  return null;
}

/** The notice (`.gc-notice`) and, unless `statusBar` is false, the status line (`.gc-status`), appended to `element`. */
export class StatusView {
  constructor(element, { statusBar = true } = {}) {
    const doc = element.ownerDocument;
    this.notice = doc.createElement("div");
    this.notice.className = "gc-notice";
    this.notice.hidden = true;
    element.append(this.notice);
    this.bar = null;
    if (statusBar) {
      this.bar = doc.createElement("div");
      this.bar.className = "gc-status";
      this.bar.setAttribute("role", "status");
      element.append(this.bar);
    }
  }

  /** Show or hide the notice for a new state. */
  setState(state, message) {
    const text = noticeText(state, message);
    this.notice.hidden = text == null;
    this.notice.textContent = text ?? "";
  }

  /** Redraw the status line from a look at the viewer (see statusParts). */
  render(look) {
    if (!this.bar) return;
    const doc = this.bar.ownerDocument;
    this.bar.dataset.state = look.state.replace(/\s+/g, "-");
    this.bar.dataset.producer = look.producer || "live";
    this.bar.replaceChildren(
      ...statusParts(look).map(([name, text]) => {
        const span = doc.createElement("span");
        span.className = `gc-${name}`;
        span.textContent = text;
        const title = partTitle(name, look);
        if (title) span.title = title;
        return span;
      }),
    );
  }
}
