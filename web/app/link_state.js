// @file The page's link state: where the editor's link stands, the fragment this page put into
// the address (its own, not a link to open), an opened link that waits for its password, and
// what the address asks of the page (?backend=, ?sw=0, text shared through the web app
// manifest's share_target). app.js reads and changes it; render.js draws the rest.
//
// The editor's link state is the link field's data-kolmo-state, which the end-to-end tests wait
// on (tests/e2e/browser.mjs):
//   idle      no link yet, or the last one was cancelled
//   pending   the text (or password) changed; a compress is due
//   working   compressing this text
//   done      the link belongs to the editor's current text
//   error     no link for this text (over the limit, or compress failed)

/** @typedef {'idle'|'pending'|'working'|'done'|'error'} EditorLinkState */

// Longest fragment put into the address bar as you type: Chrome shows 32,779 characters and
// history.replaceState() of a multi-megabyte URL blocks the main thread (measured: 0.8 s for a
// 5.6 MB link); longer links stay in the link field only.
const kMaxAddressFragment = 65536;

/** The keys of the share target's query (manifest.webmanifest share_target.params). */
const kSharedKeys = ['title', 'text', 'url'];

const field = /** @type {HTMLInputElement} */ (document.querySelector('[data-kolmo="link"]'));
const params = new URLSearchParams(location.search);
let ownFragment = ''; // the fragment this page wrote into the address (not a link to open)
let lockedFragment = ''; // an opened link that waits for its password

/** @returns {EditorLinkState} */
export const editorLink = () => /** @type {EditorLinkState} */ (field.dataset.kolmoState);
/** @param {EditorLinkState} state */
export function setEditorLink(state) {
  field.dataset.kolmoState = state;
}

/** The page's own address with this fragment: the link to share. @param {string} fragment */
export const pageLink = (fragment) => `${location.origin}${location.pathname}${location.search}#${fragment}`;

/**
 * Puts the editor's new link into the address bar, so that reloading keeps the text; an empty
 * text, or a link too long for the address, takes out the link this page had put there.
 * @param {string} fragment @param {boolean} empty the text is empty
 */
export function showInAddress(fragment, empty) {
  if (!empty && fragment.length <= kMaxAddressFragment) {
    ownFragment = fragment;
    history.replaceState(null, '', `#${fragment}`);
  } else if (ownFragment && location.hash.slice(1) === ownFragment) {
    ownFragment = '';
    history.replaceState(null, '', location.pathname + location.search);
  }
}

/** The link in the address to open, if it is one ('' when none, or when it is this page's own). */
export function fragmentToOpen() {
  // The whole hash, '#' included: a link with a second '#' is then refused by the library (which
  // fragment the sender meant is not clear), not opened at the last one.
  const fragment = location.hash;
  return fragment && fragment.slice(1) !== ownFragment ? fragment : '';
}

/** The opened link that waits for its password ('' when none). */
export const lockedLink = () => lockedFragment;
/** An opened link needs a password (or another one): it waits for it. @param {string} fragment */
export function lock(fragment) {
  lockedFragment = fragment;
}
/** The opened link opened: nothing waits for a password. */
export function unlocked() {
  lockedFragment = '';
}

/** The backend the address asks for (?backend=), or null. */
export const requestedBackend = () => params.get('backend');
/** Whether the address leaves out the service worker (?sw=0, for tests). */
export const serviceWorkerOff = () => params.get('sw') === '0';

/**
 * Text shared to kolmo from another app (the web app manifest's share_target opens
 * ./?title=…&text=…&url=…): the parts joined by lines, each once (apps often repeat the link
 * of `url` in `text`); null if nothing was shared. The parameters leave the address, so that
 * they do not end up in the link.
 */
export function takeSharedText() {
  const parts = kSharedKeys.map((key) => params.get(key) ?? '').filter((part) => part !== '');
  if (parts.length === 0) return null;
  const kept = parts.filter((part, i) => !parts.some((other, j) => j !== i && other.includes(part) && (other !== part || j < i)));
  const rest = new URLSearchParams(location.search);
  for (const key of kSharedKeys) rest.delete(key);
  const query = rest.toString();
  history.replaceState(null, '', location.pathname + (query ? `?${query}` : '') + location.hash);
  return kept.join('\n');
}
