import { test } from "node:test";
import assert from "node:assert/strict";
import { storageKey, takeToken } from "../src/session.js";

function page(href) {
  const url = new URL(href);
  const calls = [];
  const store = new Map();
  return {
    location: { pathname: url.pathname, search: url.search, hash: url.hash },
    history: { state: null, replaceState: (...args) => calls.push(args) },
    storage: { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v) },
    calls,
    store,
  };
}

test("a control token in the fragment is taken, removed from the address bar and kept for reloads", () => {
  const p = page("http://127.0.0.1:8765/?codec=json#control=s3cret");
  assert.equal(takeToken(p), "s3cret");
  assert.deepEqual(p.calls, [[null, "", "/?codec=json"]]);
  assert.equal(p.store.get(storageKey("/")), "s3cret");
});

test("other fragment parameters stay in the address bar", () => {
  const p = page("http://h/s/demo/#token=view&theme=dark");
  assert.equal(takeToken(p), "view");
  assert.deepEqual(p.calls, [[null, "", "/s/demo/#theme=dark"]]);
});

test("a reload finds the token in this tab's session storage, per page path", () => {
  const p = page("http://h/s/demo/#control=abc");
  takeToken(p);
  const reload = { ...p, location: { pathname: "/s/demo/", search: "", hash: "" }, calls: [] };
  assert.equal(takeToken(reload), "abc");
  const other = { ...p, location: { pathname: "/s/other/", search: "", hash: "" } };
  assert.equal(takeToken(other), null);
});

test("no fragment, no storage: no token, and the address bar is left alone", () => {
  const p = page("http://h/");
  assert.equal(takeToken({ ...p, storage: null }), null);
  assert.deepEqual(p.calls, []);
});

test("a storage that refuses writes still yields the token for this load", () => {
  const p = page("http://h/#control=x");
  const storage = { getItem: () => null, setItem: () => { throw new Error("quota"); } };
  assert.equal(takeToken({ ...p, storage }), "x");
});
