// The screen on a real xterm.js (its ES build, as the viewer ships it: see
// support/es-builds.mjs), never opened: node has no DOM, and xterm parses
// and keeps its buffer without one. What needs a page (fitting the font to
// the window, drawing the cursor) is tested in tests/browser.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Screen } from "../src/screen.js";
import { TERMINAL_SETUP, TerminalView, paintCursor, paintRows } from "../src/terminal.js";

/** Paint `paint` and wait until xterm has parsed it. */
function painted(view, paint, size) {
  return new Promise((resolve) => view.paint(paint, size, resolve));
}

function cursorOf(view) {
  const buffer = view.terminal.buffer.active;
  return [buffer.cursorX, buffer.cursorY];
}

test("rows are painted by absolute position, erased first, attributes reset", () => {
  assert.equal(
    paintRows([[0, "\x1b[31mhi"], [4, ""]]),
    "\x1b[1;1H\x1b[0m\x1b[2K\x1b[31mhi\x1b[0m\x1b[5;1H\x1b[0m\x1b[2K\x1b[0m",
  );
  assert.equal(TERMINAL_SETUP, "\x1b[?7l\x1b[?25l");
});

test("the cursor is drawn with CUP (1-based) and shown, or hidden", () => {
  assert.equal(paintCursor([0, 0]), "\x1b[1;1H\x1b[?25h");
  assert.equal(paintCursor([4, 2]), "\x1b[3;5H\x1b[?25h");
  assert.equal(paintCursor(null), "\x1b[?25l");
});

test("xterm holds the frame's rows as text, colours parsed away, trailing blanks trimmed", async (t) => {
  const view = new TerminalView({ width: 10, height: 3 });
  t.after(() => view.dispose());
  const screen = new Screen({ width: 10, height: 3 });
  await painted(view, screen.apply({ type: "frame", seq: 1, width: 10, height: 3, lines: ["\x1b[1;31mred\x1b[0m  ", "", "界 x"] }), screen);
  assert.deepEqual(view.rows(), ["red", "", "界 x"]);
});

test("a delta rewrites only its rows, and a shorter row leaves nothing of the old one", async (t) => {
  const view = new TerminalView({ width: 10, height: 3 });
  t.after(() => view.dispose());
  const screen = new Screen({ width: 10, height: 3 });
  await painted(view, screen.apply({ type: "frame", seq: 1, width: 10, height: 3, lines: ["aaaaaaaaaa", "bbbb", "cccc"] }), screen);
  await painted(view, screen.apply({ type: "delta", seq: 2, base: 1, width: 10, height: 3, rows: [[0, "x"]] }), screen);
  assert.deepEqual(view.rows(), ["x", "bbbb", "cccc"]);
});

test("an over-long row stops at the last column: it neither wraps nor scrolls the grid", async (t) => {
  const view = new TerminalView({ width: 5, height: 3 });
  t.after(() => view.dispose());
  const screen = new Screen({ width: 5, height: 3 });
  await painted(view, screen.apply({ type: "frame", seq: 1, width: 5, height: 3, lines: ["top", "", "abcdefghij"] }), screen);
  // Autowrap off: as in a terminal, what does not fit is written over the last cell.
  assert.deepEqual(view.rows(), ["top", "", "abcdj"]);
});

test("a new size resizes xterm's grid to the stream's", async (t) => {
  const view = new TerminalView({ width: 80, height: 24 });
  t.after(() => view.dispose());
  const screen = new Screen({ width: 80, height: 24 });
  await painted(view, screen.apply({ type: "frame", seq: 1, width: 12, height: 4, lines: ["a", "b", "c", "d"] }), screen);
  assert.deepEqual([view.terminal.cols, view.terminal.rows], [12, 4]);
  assert.deepEqual(view.rows(), ["a", "b", "c", "d"]);
});

test("after the rows, xterm's cursor goes where the program's is", async (t) => {
  const view = new TerminalView({ width: 10, height: 3 });
  t.after(() => view.dispose());
  const screen = new Screen({ width: 10, height: 3 });
  await painted(view, screen.apply({ type: "frame", seq: 1, width: 10, height: 3, lines: ["$ ls", "", ""], cursor: [4, 0] }), screen);
  assert.deepEqual(cursorOf(view), [4, 0]);
  await painted(view, screen.apply({ type: "delta", seq: 2, base: 1, width: 10, height: 3, rows: [[2, "zzz"]], cursor: [1, 1] }), screen);
  assert.deepEqual(cursorOf(view), [1, 1]);
});

test("the paint callback runs once xterm has parsed the write; settled() waits for every write", async (t) => {
  const view = new TerminalView({ width: 10, height: 2 });
  t.after(() => view.dispose());
  let seen = null;
  view.paint({ resized: false, rows: [[0, "first"]], cursor: null }, { width: 10, height: 2 }, () => { seen = view.rows()[0]; });
  assert.equal(seen, null, "xterm parses asynchronously");
  await view.settled();
  assert.equal(seen, "first");
});

test("read-only follows the role; an unopened terminal proposes no viewport", (t) => {
  const view = new TerminalView({ width: 10, height: 2 });
  t.after(() => view.dispose());
  assert.equal(view.terminal.options.disableStdin, true, "read-only until hello says controller");
  view.readOnly = false;
  assert.equal(view.terminal.options.disableStdin, false);
  assert.equal(view.viewport(), null);
});
