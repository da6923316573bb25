import { test } from "node:test";
import assert from "node:assert/strict";
import { Backoff, SERVER_FULL_RETRY_MS, afterClose, afterRefusal } from "../src/reconnect.js";
import { RateMeter } from "../src/meter.js";

test("backoff grows from 0.5 s to at most 10 s", () => {
  const high = new Backoff({ random: () => 1 });
  assert.deepEqual(Array.from({ length: 8 }, () => high.next()), [500, 1000, 2000, 4000, 8000, 10000, 10000, 10000]);
  const low = new Backoff({ random: () => 0 });
  assert.deepEqual(Array.from({ length: 7 }, () => low.next()), [500, 500, 1000, 2000, 4000, 5000, 5000]);
});

test("backoff is jittered and restarts after a good connection", () => {
  const backoff = new Backoff();
  const delays = new Set(Array.from({ length: 20 }, () => { backoff.reset(); backoff.attempt = 5; return backoff.next(); }));
  assert.ok(delays.size > 1, "delays should vary");
  for (const d of delays) assert.ok(d >= 5000 && d <= 10000, `${d} out of range`);
  backoff.reset();
  assert.equal(backoff.attempt, 0);
});

test("a dropped connection reconnects with backoff and says so", () => {
  const backoff = new Backoff({ random: () => 1 });
  const d = afterClose({ code: 1006, reason: "", backoff });
  assert.equal(d.state, "reconnecting");
  assert.equal(d.retryIn, 500);
  assert.match(d.message, /^reconnecting…/);
  assert.equal(afterClose({ code: 1001, reason: "server going away", backoff }).retryIn, 1000);
});

test("a 1008 policy close shows the server's reason and stops, blaming no token (a bad token never opens a socket)", () => {
  // The hub closes with 1008 only a client that leaves its replies unread; a wrong
  // token is refused with HTTP 403 before the upgrade (see afterRefusal).
  const d = afterClose({ code: 1008, reason: "client does not read its replies (256)", backoff: new Backoff() });
  assert.equal(d.state, "rejected");
  assert.equal(d.retryIn, null);
  assert.equal(d.message, "closed by server: client does not read its replies (256) (not retrying; reload to connect again)");
  const bare = afterClose({ code: 1008, backoff: new Backoff() });
  assert.equal(bare.message, "closed by server: policy violation (1008) (not retrying; reload to connect again)");
});

test("1013 server full shows the reason and retries slowly", () => {
  const d = afterClose({ code: 1013, reason: "server full (1 clients max)", backoff: new Backoff(), random: () => 0 });
  assert.equal(d.state, "server full");
  assert.equal(d.retryIn, SERVER_FULL_RETRY_MS);
  assert.match(d.message, /server full \(1 clients max\)/);
  assert.ok(afterClose({ code: 1013, backoff: new Backoff(), random: () => 1 }).retryIn > SERVER_FULL_RETRY_MS);
});

test("a viewer closed on purpose stays closed", () => {
  assert.equal(afterClose({ code: 1000, backoff: new Backoff(), stopped: true }).retryIn, null);
});

test("rate meter sums the events of its window per second", () => {
  let now = 0;
  const meter = new RateMeter({ windowMs: 2000, now: () => now });
  for (let i = 0; i < 60; i++) { now += 1000 / 30; meter.add(); }
  assert.ok(Math.abs(meter.rate() - 30) <= 0.5, String(meter.rate()));
  now += 5000;
  assert.equal(meter.rate(), 0);
});

test("after end (or a 1000 close) the stream has ended: no reconnect", () => {
  const backoff = new Backoff({ random: () => 1 });
  const afterEnd = afterClose({ code: 1000, reason: "", backoff, ended: "replay finished" });
  assert.deepEqual(afterEnd, { state: "ended", retryIn: null, message: "stream ended: replay finished" });
  assert.equal(afterClose({ code: 1000, reason: "", backoff }).message, "stream ended");
  // end arrived, then the connection dropped instead of closing cleanly: still ended.
  assert.equal(afterClose({ code: 1006, reason: "", backoff, ended: true }).retryIn, null);
  assert.equal(backoff.attempt, 0, "no backoff step was spent");
  // 1001 (server going away) is not an end: viewers come back.
  assert.equal(afterClose({ code: 1001, reason: "restart", backoff }).state, "reconnecting");
});

test("a socket that never opened says the handshake may have been refused", () => {
  const backoff = new Backoff({ random: () => 1 });
  const d = afterClose({ code: 1006, reason: "", backoff, opened: false });
  assert.equal(d.state, "reconnecting");
  assert.match(d.message, /refused the handshake \(token\?\)/);
});

test("a refused handshake explained over HTTP: 403/421 stop, 429 waits, 503 is server full, others keep the backoff", () => {
  const backoff = new Backoff({ random: () => 1 });
  const forbidden = afterRefusal({ status: 403, reason: "wrong token: use #control=TOKEN\n", backoff });
  assert.equal(forbidden.state, "rejected");
  assert.equal(forbidden.retryIn, null);
  assert.match(forbidden.message, /^refused by server \(403\): wrong token: use #control=TOKEN \(not retrying/);
  assert.match(afterRefusal({ status: 403, backoff }).message, /missing or wrong token/);
  const origin = afterRefusal({ status: 403, backoff, reason: `origin 'https://example.org:8443' is not allowed: ${"x".repeat(250)}\n` });
  assert.equal(origin.state, "rejected");
  assert.match(origin.message, /^origin not allowed \(403\): origin 'https:\/\/example\.org:8443' is not allowed: x{250} \(not retrying/);
  assert.equal(afterRefusal({ status: 421, backoff }).state, "rejected");
  const throttled = afterRefusal({ status: 429, retryAfter: 7, backoff });
  assert.equal(throttled.state, "reconnecting");
  assert.equal(throttled.retryIn, 7000);
  const full = afterRefusal({ status: 503, retryAfter: 30, backoff, random: () => 0 });
  assert.deepEqual([full.state, full.retryIn], ["server full", 30000]);
  for (const status of [200, 400, 404, 426, 500]) assert.equal(afterRefusal({ status, backoff }), null, String(status));
});
