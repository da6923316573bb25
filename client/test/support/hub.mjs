// A small hub for the connection's tests: a real HTTP server on loopback
// whose WebSocket side (the `ws` package) picks a codec from what the client
// offers, or refuses the upgrade with an HTTP status, as glyphcast's does.
// Each test scripts what the hub sends; this only moves bytes and records
// what the client sent.
import { createServer } from "node:http";
import { once } from "node:events";
import { WebSocket, WebSocketServer } from "ws";

/** The `ws` client, the WebSocket the tests hand the viewer's Connection (node 20 has no global one). */
export { WebSocket };

export class TestHub {
  /**
   * @param {{codecs?: string[], refuseUpgrade?: number | null, deflate?: boolean,
   *          http?: (request: import("node:http").IncomingMessage, response: import("node:http").ServerResponse) => void}} options
   *   codecs: the subprotocols the hub accepts (it takes the client's first one of them);
   *   refuseUpgrade: answer every upgrade with this HTTP status instead;
   *   http: answers plain HTTP requests (default: 404);
   *   deflate: accept permessage-deflate (glyphcast's hub does, by default).
   */
  constructor({ codecs = ["glyphcast.json.v1"], refuseUpgrade = null, http = null, deflate = false } = {}) {
    this.codecs = codecs;
    this.refuseUpgrade = refuseUpgrade;
    /** Every plain HTTP request: {url, headers}. */
    this.requests = [];
    /** Every upgrade request: {url, protocols}. */
    this.upgrades = [];
    this._waiting = [];
    this._arrived = [];
    this._wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: deflate,
      handleProtocols: (offered) => [...offered].find((p) => this.codecs.includes(p)) ?? false,
    });
    this._server = createServer((request, response) => {
      this.requests.push({ url: request.url, headers: request.headers });
      if (http) return http(request, response);
      response.writeHead(404).end("not found\n");
    });
    this._server.on("upgrade", (request, socket, head) => {
      const protocols = (request.headers["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim()).filter(Boolean);
      this.upgrades.push({ url: request.url, protocols });
      // glyphcast's hub answers an offer with no codec it speaks with 400, as here.
      const status = this.refuseUpgrade ?? (protocols.some((p) => this.codecs.includes(p)) ? null : 400);
      if (status != null) {
        socket.end(`HTTP/1.1 ${status} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
        return;
      }
      this._wss.handleUpgrade(request, socket, head, (ws) => this._arrive(new Peer(ws, protocols)));
    });
  }

  async start() {
    this._server.listen(0, "127.0.0.1");
    await once(this._server, "listening");
    const { port } = this._server.address();
    this.url = `ws://127.0.0.1:${port}/ws`;
    return this;
  }

  /** The next client connection to arrive (a Peer). */
  accept() {
    if (this._arrived.length) return Promise.resolve(this._arrived.shift());
    return new Promise((resolve) => this._waiting.push(resolve));
  }

  /** How many connections arrived, accepted or not yet. */
  get connections() {
    return this.upgrades.length;
  }

  async stop() {
    for (const ws of this._wss.clients) ws.terminate();
    this._wss.close();
    this._server.closeAllConnections();
    this._server.close();
    await once(this._server, "close");
  }

  _arrive(peer) {
    const waiter = this._waiting.shift();
    if (waiter) waiter(peer);
    else this._arrived.push(peer);
  }
}

/** The hub's side of one client connection. */
class Peer {
  constructor(ws, offered) {
    this.ws = ws;
    /** The Sec-WebSocket-Protocol list the client offered. */
    this.offered = offered;
    this._messages = [];
    this._waiting = [];
    ws.on("message", (data, isBinary) => {
      const msg = isBinary ? data : JSON.parse(data.toString("utf8"));
      const waiter = this._waiting.shift();
      if (waiter) waiter(msg);
      else this._messages.push(msg);
    });
    this.closed = once(ws, "close").then(([code, reason]) => ({ code, reason: reason.toString("utf8") }));
  }

  /** The subprotocol the hub picked. */
  get protocol() {
    return this.ws.protocol;
  }

  /** The next message the client sent (client messages are JSON text). */
  next() {
    if (this._messages.length) return Promise.resolve(this._messages.shift());
    return new Promise((resolve) => this._waiting.push(resolve));
  }

  /** The next client message of `type`, skipping others (pings come every interval). */
  async nextOf(type) {
    for (;;) {
      const msg = await this.next();
      if (msg.type === type) return msg;
    }
  }

  /** Send a text (JSON) or binary (bytes) message. */
  send(data) {
    this.ws.send(data, { binary: typeof data !== "string" });
  }
}
