// The viewer's model of the stream: which frame it shows (seq), its size,
// rows and cursor, and whether it waits for a keyframe. `apply(msg)` applies
// a frame, delta or clear and says what to do: paint these rows (terminal.js
// draws them), ask for a resync, or ignore it. Pure: no terminal, no socket.

/** Send `resync` again if still waiting for a keyframe this long after the last one (ms). */
export const RESYNC_RETRY_MS = 2000;

/**
 * @typedef {object} Paint
 * @property {"paint"} action
 * @property {boolean} full      every row is repainted
 * @property {boolean} resized   width/height changed: resize the grid first
 * @property {Array<[number, string]>} rows  rows to rewrite, [index, line]
 * @property {Cursor} cursor     where to draw the program's cursor after the rows
 *
 * @typedef {[number, number] | null} Cursor  [col, row] inside the grid, 0-based; null: none drawn
 *
 * @typedef {{action: "resync"}} Resync      send {"type":"resync"}
 * @typedef {{action: "ignore", reason: string}} Ignore
 */

export class Screen {
  constructor({ width = 80, height = 24, now = () => Date.now() } = {}) {
    this.width = width;
    this.height = height;
    /** seq of the frame on screen; null before the first keyframe (or after a reconnect). */
    this.seq = null;
    this.lines = blank(height);
    /**
     * The program's cursor (protocol v1.1), [col, row] inside the grid; null:
     * none drawn. Every frame and delta carries the whole cursor state, so
     * one without `cursor` hides it.
     */
    this.cursor = null;
    /** True between a seq gap (or a new connection) and the next keyframe. */
    this.awaitingKeyframe = true;
    this._now = now;
    this._resyncSentAt = -Infinity;
  }

  /** A new connection: keep showing the old rows, but accept no delta until a keyframe. */
  expectKeyframe() {
    this.seq = null;
    this.awaitingKeyframe = true;
    this._resyncSentAt = -Infinity;
  }

  /** Size announced by `hello`: adopt it before the first frame arrives. */
  resize(width, height) {
    const resized = setSize(this, width, height);
    this.cursor = clampCursor(this.cursor, this.width, this.height);
    return this._paint(true, resized, this.allRows());
  }

  /** @returns {Paint | Resync | Ignore} */
  apply(msg) {
    switch (msg.type) {
      case "frame": return this._frame(msg);
      case "delta": return this._delta(msg);
      case "clear": return this._clear(msg);
      default: return { action: "ignore", reason: `not a screen message: ${msg.type}` };
    }
  }

  allRows() {
    return this.lines.map((line, i) => [i, line]);
  }

  _frame(msg) {
    const resized = setSize(this, msg.width ?? this.width, msg.height ?? this.height);
    const lines = msg.lines ?? [];
    this.lines = Array.from({ length: this.height }, (_, i) => clean(lines[i]));
    this.cursor = cursorOf(msg, this.width, this.height);
    this.seq = msg.seq;
    this.awaitingKeyframe = false;
    return this._paint(true, resized, this.allRows());
  }

  _delta(msg) {
    if (this.awaitingKeyframe) {
      // Deltas in flight after our resync request: useless, but if the
      // keyframe does not come (request lost), ask again now and then.
      if (this._now() - this._resyncSentAt >= RESYNC_RETRY_MS) return this._resync();
      return { action: "ignore", reason: "waiting for keyframe" };
    }
    if (this.seq !== msg.base) return this._resync();
    const resized = setSize(this, msg.width ?? this.width, msg.height ?? this.height);
    const rows = [];
    for (const [index, line] of msg.rows ?? []) {
      if (!Number.isInteger(index) || index < 0 || index >= this.height) continue;
      this.lines[index] = clean(line);
      rows.push([index, this.lines[index]]);
    }
    // Even a delta with no rows moves (or hides) the cursor.
    this.cursor = cursorOf(msg, this.width, this.height);
    this.seq = msg.seq;
    if (resized) return this._paint(true, true, this.allRows());
    return this._paint(false, false, rows);
  }

  _clear(msg) {
    this.lines = blank(this.height);
    // `clear` carries no cursor: a blank screen has none until the next frame.
    this.cursor = null;
    if (msg.seq != null) this.seq = msg.seq;
    return this._paint(true, false, this.allRows());
  }

  /** @returns {Paint} */
  _paint(full, resized, rows) {
    return { action: "paint", full, resized, rows, cursor: this.cursor };
  }

  _resync() {
    this.awaitingKeyframe = true;
    this._resyncSentAt = this._now();
    return { action: "resync" };
  }
}

function setSize(screen, width, height) {
  width = Math.max(1, width | 0);
  height = Math.max(1, height | 0);
  if (width === screen.width && height === screen.height) return false;
  screen.width = width;
  screen.height = height;
  screen.lines = Array.from({ length: height }, (_, i) => screen.lines[i] ?? "");
  return true;
}

/** The cursor a frame or delta carries, placed on a width x height grid; absent or null: none. */
function cursorOf(msg, width, height) {
  const cursor = msg.cursor;
  // Only the first two entries are read: a later protocol may append to the pair.
  if (!Array.isArray(cursor) || cursor.length < 2) return null;
  const [col, row] = cursor;
  if (!Number.isInteger(col) || !Number.isInteger(row) || col < 0 || row < 0) return null;
  return clampCursor([col, row], width, height);
}

// A cursor beyond the grid is drawn on its last column/row: emulators may
// report column `width` after writing the last cell (pending wrap), and a
// cursor past the bottom must never make xterm scroll the grid.
function clampCursor(cursor, width, height) {
  if (cursor == null) return null;
  return [Math.min(cursor[0], width - 1), Math.min(cursor[1], height - 1)];
}

function blank(height) {
  return Array.from({ length: height }, () => "");
}

// A row is one terminal line: a stray CR/LF would move xterm's cursor and
// shift every row after it, so they are dropped.
function clean(line) {
  if (line == null) return "";
  return String(line).replace(/[\r\n]/g, "");
}
