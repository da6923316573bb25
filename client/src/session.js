// Where the page's token comes from and where it is kept. A token arrives in
// the URL fragment (`#control=TOKEN` or `#token=TOKEN`), which browsers never
// send to servers or in a Referer. It is removed from the address bar at once
// (history.replaceState, so it is not in the history, a bookmark or a
// screenshot) and kept in sessionStorage (this tab only) so a reload still
// has it. Pure apart from the objects passed in, so node --test can run it.
import { tokenFromFragment } from "./protocol.js";

/** sessionStorage key of the token for the page at `pathname` (each stream page has its own). */
export function storageKey(pathname) {
  return `glyphcast.token:${pathname}`;
}

/**
 * The token for this page, or null. Reads the fragment first (and then strips
 * the token from it), else what an earlier visit in this tab stored.
 * @param {{location: {pathname: string, search: string, hash: string},
 *          history: {replaceState: Function, state?: unknown} | null,
 *          storage: {getItem: Function, setItem: Function} | null}} page
 */
export function takeToken({ location, history, storage }) {
  const key = storageKey(location.pathname);
  const { token, rest } = tokenFromFragment(location.hash);
  if (token) {
    history?.replaceState(history.state ?? null, "", `${location.pathname}${location.search}${rest ? `#${rest}` : ""}`);
    try {
      storage?.setItem(key, token);
    } catch (err) {
      console.info("glyphcast: cannot keep the token for reloads:", err.message);
    }
    return token;
  }
  return storage?.getItem(key) || null;
}
