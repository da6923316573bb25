import { test } from "node:test";
import assert from "node:assert/strict";
import { RESYNC_RETRY_MS, Screen, TERMINAL_SETUP, paintRows } from "../src/screen.js";

const frame = (seq, lines, width = 5, height = lines.length) => ({ type: "frame", seq, ts: 0, width, height, lines });
const delta = (seq, base, rows, width = 5, height = 3) => ({ type: "delta", seq, base, ts: 0, width, height, rows });

function screenAt(seq = 1) {
  const screen = new Screen({ width: 5, height: 3 });
  screen.apply(frame(seq, ["aaa", "bbb", "ccc"]));
  return screen;
}

test("a frame repaints every row and sets seq", () => {
  const screen = new Screen({ width: 5, height: 3 });
  const paint = screen.apply(frame(4, ["a", "b", "c"]));
  assert.deepEqual(paint, { action: "paint", full: true, resized: false, rows: [[0, "a"], [1, "b"], [2, "c"]] });
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
  assert.deepEqual(paint, { action: "paint", full: false, resized: false, rows: [[2, "CCC"], [0, "AAA"]] });
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

test("rows are painted by absolute position, erased first, attributes reset", () => {
  assert.equal(
    paintRows([[0, "\x1b[31mhi"], [4, ""]]),
    "\x1b[1;1H\x1b[0m\x1b[2K\x1b[31mhi\x1b[0m\x1b[5;1H\x1b[0m\x1b[2K\x1b[0m",
  );
  assert.equal(TERMINAL_SETUP, "\x1b[?7l\x1b[?25l");
});
