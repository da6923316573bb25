import { test } from "node:test";
import assert from "node:assert/strict";
import { RESYNC_RETRY_MS, Screen } from "../src/screen.js";

const frame = (seq, lines, width = 5, height = lines.length, extra = {}) =>
  ({ type: "frame", seq, ts: 0, width, height, lines, ...extra });
const delta = (seq, base, rows, width = 5, height = 3, extra = {}) =>
  ({ type: "delta", seq, base, ts: 0, width, height, rows, ...extra });

function screenAt(seq = 1) {
  const screen = new Screen({ width: 5, height: 3 });
  screen.apply(frame(seq, ["aaa", "bbb", "ccc"]));
  return screen;
}

test("a frame repaints every row and sets seq", () => {
  const screen = new Screen({ width: 5, height: 3 });
  const paint = screen.apply(frame(4, ["a", "b", "c"]));
  assert.deepEqual(paint, {
    action: "paint", full: true, resized: false, rows: [[0, "a"], [1, "b"], [2, "c"]], cursor: null,
  });
  assert.equal(screen.seq, 4);
  assert.equal(screen.awaitingKeyframe, false);
});

test("a frame with fewer lines than its height pads with blank rows", () => {
  const screen = new Screen({ width: 5, height: 3 });
  assert.deepEqual(screen.apply(frame(1, ["a"], 5, 3)).rows, [[0, "a"], [1, ""], [2, ""]]);
});

test("a frame with a new size resizes the grid", () => {
  const screen = screenAt();
  const paint = screen.apply(frame(2, ["x", "y"], 9, 2));
  assert.equal(paint.resized, true);
  assert.equal(screen.width, 9);
  assert.equal(screen.height, 2);
  assert.deepEqual(screen.lines, ["x", "y"]);
});

test("a delta on the current seq rewrites only its rows", () => {
  const screen = screenAt(1);
  const paint = screen.apply(delta(2, 1, [[2, "CCC"], [0, "AAA"]]));
  assert.deepEqual(paint, { action: "paint", full: false, resized: false, rows: [[2, "CCC"], [0, "AAA"]], cursor: null });
  assert.deepEqual(screen.lines, ["AAA", "bbb", "CCC"]);
  assert.equal(screen.seq, 2);
});

test("a delta on another seq asks for resync and changes nothing", () => {
  const screen = screenAt(1);
  assert.deepEqual(screen.apply(delta(3, 2, [[0, "zzz"]])), { action: "resync" });
  assert.deepEqual(screen.lines, ["aaa", "bbb", "ccc"]);
  assert.equal(screen.awaitingKeyframe, true);
});

test("deltas after a resync request are ignored until the next keyframe", () => {
  let now = 1000;
  const screen = new Screen({ width: 5, height: 3, now: () => now });
  screen.apply(frame(1, ["aaa", "bbb", "ccc"]));
  assert.equal(screen.apply(delta(3, 2, [[0, "x"]])).action, "resync");
  // Even one whose base matches what we show: the server may have moved on.
  assert.equal(screen.apply(delta(2, 1, [[0, "x"]])).action, "ignore");
  assert.equal(screen.apply(delta(4, 3, [[0, "x"]])).action, "ignore");
  assert.deepEqual(screen.lines, ["aaa", "bbb", "ccc"]);
  const paint = screen.apply(frame(5, ["k", "k", "k"], 5, 3));
  assert.equal(paint.full, true);
  assert.equal(screen.apply(delta(6, 5, [[1, "m"]])).action, "paint");
  assert.deepEqual(screen.lines, ["k", "m", "k"]);
});

test("resync is asked again if no keyframe comes", () => {
  let now = 0;
  const screen = new Screen({ width: 5, height: 3, now: () => now });
  screen.apply(frame(1, ["a", "b", "c"]));
  assert.equal(screen.apply(delta(3, 2, [])).action, "resync");
  now += RESYNC_RETRY_MS - 1;
  assert.equal(screen.apply(delta(4, 3, [])).action, "ignore");
  now += 1;
  assert.equal(screen.apply(delta(5, 4, [])).action, "resync");
});

test("a delta before any keyframe asks for one", () => {
  const screen = new Screen();
  assert.equal(screen.apply(delta(2, 1, [[0, "x"]])).action, "resync");
});

test("after a reconnect, deltas wait for a keyframe while the old rows stay", () => {
  const screen = screenAt(1);
  screen.expectKeyframe();
  assert.equal(screen.seq, null);
  assert.equal(screen.apply(delta(2, 1, [[0, "x"]])).action, "resync");
  assert.deepEqual(screen.lines, ["aaa", "bbb", "ccc"]);
});

test("a delta that changes the size repaints everything", () => {
  const screen = screenAt(1);
  const paint = screen.apply(delta(2, 1, [[3, "ddd"]], 5, 4));
  assert.equal(paint.full, true);
  assert.equal(paint.resized, true);
  assert.deepEqual(screen.lines, ["aaa", "bbb", "ccc", "ddd"]);
});

test("delta rows outside the grid are skipped", () => {
  const screen = screenAt(1);
  const paint = screen.apply(delta(2, 1, [[-1, "x"], [3, "y"], [1.5, "z"], [1, "B"]]));
  assert.deepEqual(paint.rows, [[1, "B"]]);
});

test("clear blanks the screen and takes its seq", () => {
  const screen = screenAt(1);
  const paint = screen.apply({ type: "clear", seq: 2 });
  assert.deepEqual(paint.rows, [[0, ""], [1, ""], [2, ""]]);
  assert.equal(screen.seq, 2);
  assert.equal(screen.apply(delta(3, 2, [[0, "q"]])).action, "paint");
});

test("CR and LF inside a row are dropped so rows cannot shift", () => {
  const screen = new Screen({ width: 5, height: 1 });
  screen.apply(frame(1, ["a\r\nb"]));
  assert.deepEqual(screen.lines, ["ab"]);
});

test("hello's size resizes before the first frame", () => {
  const screen = new Screen({ width: 80, height: 24 });
  assert.equal(screen.resize(40, 10).resized, true);
  assert.equal(screen.resize(40, 10).resized, false);
  assert.equal(screen.lines.length, 10);
});

// --- the program's cursor (protocol v1.1) ------------------------------------

test("a frame's cursor is kept and handed to the painter", () => {
  const screen = new Screen({ width: 5, height: 3 });
  const paint = screen.apply(frame(1, ["$ ls", "", ""], 5, 3, { cursor: [4, 0] }));
  assert.deepEqual(screen.cursor, [4, 0]);
  assert.deepEqual(paint.cursor, [4, 0]);
});

test("a delta with no rows but a new cursor moves it", () => {
  const screen = new Screen({ width: 5, height: 3 });
  screen.apply(frame(1, ["aaa", "bbb", "ccc"], 5, 3, { cursor: [0, 0] }));
  const paint = screen.apply(delta(2, 1, [], 5, 3, { cursor: [2, 1] }));
  assert.deepEqual(paint, { action: "paint", full: false, resized: false, rows: [], cursor: [2, 1] });
  assert.deepEqual(screen.cursor, [2, 1]);
  assert.equal(screen.seq, 2);
});

test("a delta with null or no cursor hides it: each message carries the whole cursor state", () => {
  const screen = new Screen({ width: 5, height: 3 });
  screen.apply(frame(1, ["aaa", "bbb", "ccc"], 5, 3, { cursor: [1, 1] }));
  assert.equal(screen.apply(delta(2, 1, [], 5, 3, { cursor: null })).cursor, null);
  assert.equal(screen.cursor, null);
  screen.apply(delta(3, 2, [], 5, 3, { cursor: [1, 1] }));
  assert.equal(screen.apply(delta(4, 3, [[0, "x"]])).cursor, null);
  assert.equal(screen.cursor, null);
});

test("a frame without a cursor hides it", () => {
  const screen = new Screen({ width: 5, height: 3 });
  screen.apply(frame(1, ["a", "b", "c"], 5, 3, { cursor: [1, 1] }));
  assert.equal(screen.apply(frame(2, ["a", "b", "c"])).cursor, null);
  assert.equal(screen.cursor, null);
});

test("the keyframe answering a resync sets the cursor; deltas it ignores do not", () => {
  const screen = new Screen({ width: 5, height: 3 });
  screen.apply(frame(1, ["a", "b", "c"], 5, 3, { cursor: [0, 0] }));
  assert.equal(screen.apply(delta(3, 2, [], 5, 3, { cursor: [4, 2] })).action, "resync");
  assert.equal(screen.apply(delta(4, 3, [], 5, 3, { cursor: [3, 2] })).action, "ignore");
  assert.deepEqual(screen.cursor, [0, 0]);
  screen.apply(frame(5, ["a", "b", "c"], 5, 3, { cursor: [2, 2] }));
  assert.deepEqual(screen.cursor, [2, 2]);
});

test("a cursor beyond the grid is clamped to its last column and row", () => {
  const screen = new Screen({ width: 5, height: 3 });
  // Column 5 on a 5-wide grid: where a terminal puts it after writing the last cell.
  assert.deepEqual(screen.apply(frame(1, ["abcde", "", ""], 5, 3, { cursor: [5, 0] })).cursor, [4, 0]);
  assert.deepEqual(screen.apply(delta(2, 1, [], 5, 3, { cursor: [9, 7] })).cursor, [4, 2]);
});

test("a malformed cursor is not drawn", () => {
  const screen = new Screen({ width: 5, height: 3 });
  for (const cursor of [[-1, 0], [0, -1], [1.5, 0], ["1", "2"], [1], { col: 1, row: 2 }, 7]) {
    assert.equal(screen.apply(frame(1, ["a", "b", "c"], 5, 3, { cursor })).cursor, null, JSON.stringify(cursor));
  }
});

test("a smaller grid clamps the cursor again", () => {
  const screen = new Screen({ width: 5, height: 3 });
  screen.apply(frame(1, ["a", "b", "c"], 5, 3, { cursor: [4, 2] }));
  assert.deepEqual(screen.resize(3, 2).cursor, [2, 1]);
  assert.deepEqual(screen.apply(delta(2, 1, [], 2, 2, { cursor: [4, 2] })).cursor, [1, 1]);
});

test("clear hides the cursor", () => {
  const screen = new Screen({ width: 5, height: 3 });
  screen.apply(frame(1, ["a", "b", "c"], 5, 3, { cursor: [1, 1] }));
  assert.equal(screen.apply({ type: "clear", seq: 2 }).cursor, null);
});
