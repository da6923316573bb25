// The screen on xterm.js: TerminalView paints what the model (screen.js)
// says into an xterm Terminal, keeps the grid at the stream's size, scales
// the font to fill the element, and reads the rows back as text. The bytes it
// writes come from pure functions (paintRows, paintCursor).
//
// This is the one module that imports xterm.js: the ES module build leaves
// these imports to the page (a peer dependency), the page bundle carries xterm.
import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";

const ESC = "\x1b";

const MIN_FONT_PX = 4;
const MAX_FONT_PX = 48;

export const FONT_FAMILY =
  '"DejaVu Sans Mono", "Cascadia Mono", Menlo, Consolas, "Liberation Mono", "Noto Sans Mono", monospace';

/**
 * Terminal setup written once per (re)size: autowrap off, so an over-long row
 * is clipped instead of wrapping and scrolling the grid; cursor hidden.
 */
export const TERMINAL_SETUP = `${ESC}[?7l${ESC}[?25l`;

/**
 * xterm.js 6 draws no cursor until the terminal was focused, a key was typed
 * or the alternate screen was entered or left (its `isCursorInitialized`;
 * 6.0 has no option for it). Viewers never focus the terminal, so enter and
 * leave the alternate screen (DECSET/DECRST 47) once: the program's cursor
 * then shows whenever a frame says so. Nothing is drawn by this itself.
 */
const WAKE_CURSOR = `${ESC}[?47h${ESC}[?47l`;

/**
 * The bytes that draw the program's cursor after a paint: go to it and show
 * xterm's cursor, or hide it. Written after every paint, since painting rows
 * moves xterm's cursor.
 * @param {import("./screen.js").Cursor} cursor
 */
export function paintCursor(cursor) {
  if (cursor == null) return `${ESC}[?25l`;
  const [col, row] = cursor;
  return `${ESC}[${row + 1};${col + 1}H${ESC}[?25h`;
}

/**
 * The bytes that repaint `rows` on an xterm grid: for each row, go to its
 * start, reset attributes, erase it, write the line, reset attributes. The
 * erase comes first: an erase after a full-width line would hit the last cell.
 */
export function paintRows(rows) {
  let out = "";
  for (const [index, line] of rows) {
    out += `${ESC}[${index + 1};1H${ESC}[0m${ESC}[2K${line}${ESC}[0m`;
  }
  return out;
}

/**
 * An xterm Terminal of `width` x `height`, read-only until told otherwise.
 * With a `stage` element it is shown there and its font follows the stage's
 * size; without one (node, tests) it parses and keeps its buffer all the same.
 */
export class TerminalView {
  constructor({ width = 80, height = 24, fontFamily = FONT_FAMILY, stage = null } = {}) {
    this.terminal = new Terminal({
      cols: width,
      rows: height,
      scrollback: 0,
      fontFamily,
      fontSize: 15,
      // The program's cursor (hidden unless a frame carries one): a steady
      // block, drawn the same whether or not the terminal has focus, since a
      // viewer never focuses it.
      cursorStyle: "block",
      cursorBlink: false,
      cursorInactiveStyle: "block",
      disableStdin: true,
      theme: { background: "#000000", foreground: "#d0d0d0", cursor: "#d0d0d0", cursorAccent: "#000000" },
    });
    this._fitAddon = new FitAddon();
    this.terminal.loadAddon(this._fitAddon);
    this._stage = stage;
    this._resizeObserver = null;
    if (stage) {
      this.terminal.open(stage);
      this._resizeObserver = new ResizeObserver(() => this.fitFont());
      this._resizeObserver.observe(stage);
    }
    this.terminal.write(WAKE_CURSOR + TERMINAL_SETUP);
  }

  /** False lets keystrokes through (a controller); true (the default) keeps the terminal read-only. */
  set readOnly(readOnly) {
    this.terminal.options.disableStdin = readOnly;
  }

  /** `listener(data)` for every keystroke xterm reads (only when not read-only). */
  onInput(listener) {
    return this.terminal.onData(listener);
  }

  /**
   * Draw a model's paint (screen.js `Paint`) on a grid of `size`
   * ({width, height}, the model's); `onParsed` runs once xterm has parsed it.
   */
  paint({ resized, rows, cursor }, { width, height }, onParsed) {
    let data = "";
    if (resized) {
      this.terminal.resize(width, height);
      data += TERMINAL_SETUP;
    }
    data += paintRows(rows) + paintCursor(cursor);
    this.terminal.write(data, onParsed);
    if (resized) this.fitFont();
  }

  /** The terminal's rows as plain text (what a user would copy), right-trimmed. */
  rows() {
    const buffer = this.terminal.buffer.active;
    const out = [];
    for (let i = 0; i < this.terminal.rows; i++) {
      const line = buffer.getLine(buffer.viewportY + i);
      // translateToString(true) trims only never-written cells; written
      // trailing spaces are trimmed too, as a copy would be.
      out.push(line ? line.translateToString(true).replace(/ +$/, "") : "");
    }
    return out;
  }

  /** Resolves once xterm has parsed everything written so far. */
  settled() {
    return new Promise((resolve) => this.terminal.write("", resolve));
  }

  /** The grid the stage would hold at the current font, {width, height}; null when not shown. */
  viewport() {
    if (!this._stage) return null;
    const dims = this._fitAddon.proposeDimensions();
    return dims ? { width: dims.cols, height: dims.rows } : null;
  }

  /**
   * Fit the grid to the stage by font size, never by cols/rows: the grid
   * follows the stream. Scale the font by the stage/screen ratio, then step
   * down until the fit addon confirms the whole grid fits.
   */
  fitFont() {
    const screenEl = this.terminal.element?.querySelector(".xterm-screen");
    if (!screenEl || !this._stage) return;
    const stage = this._stage.getBoundingClientRect();
    if (stage.width === 0 || stage.height === 0) return;
    const current = this.terminal.options.fontSize;
    const box = screenEl.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return;
    const scale = Math.min(stage.width / box.width, stage.height / box.height);
    let size = clamp(Math.floor(current * scale * 2) / 2, MIN_FONT_PX, MAX_FONT_PX);
    if (size !== current) this.terminal.options.fontSize = size;
    for (let i = 0; i < 40 && size > MIN_FONT_PX && !this._gridFits(); i++) {
      size -= 0.5;
      this.terminal.options.fontSize = size;
    }
  }

  _gridFits() {
    const dims = this._fitAddon.proposeDimensions();
    return !dims || (dims.cols >= this.terminal.cols && dims.rows >= this.terminal.rows);
  }

  dispose() {
    this._resizeObserver?.disconnect();
    this.terminal.dispose();
  }
}

function clamp(value, lo, hi) {
  return Math.min(hi, Math.max(lo, value));
}
