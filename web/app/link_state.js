// @file The page's link state: where the editor's link stands, the fragment this page put into
// the address (its own, not a link to open), an opened link that waits for its password, and
// what the address asks of the page (?backend=, ?sw=0, ?ask-after=, ?share=: text shared through
// the web app manifest's share_target, which the service worker holds). app.js reads and changes
// it; render.js draws the rest.
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

/** The fields of the share target (manifest.webmanifest share_target.params). */
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
/** Whether the address asks for the opening's timing under the opened text (?timing: app/timing.js). */
export const timingAsked = () => params.has('timing');
/** Whether the address leaves out the service worker (?sw=0, for tests). */
export const serviceWorkerOff = () => params.get('sw') === '0';
/**
 * The opening time above which the page asks before it opens a link, when the address sets it
 * (?ask-after=SECONDS, for tests: 0 asks of every link that declares its size), or null.
 */
export function askAfterSeconds() {
  const value = Number(params.get('ask-after')?.trim() || NaN);
  return Number.isFinite(value) && value >= 0 ? value : null;
}

/** How long the page waits for the service worker to hand over a shared text. */
const kShareWaitMs = 3000;

/**
 * Asks the service worker for the shared text with this id (web/sw.js keeps it in memory).
 * @param {string} id @returns {Promise<string[]|null>} its parts, or null if the worker has none
 */
async function sharedParts(id) {
  const worker = navigator.serviceWorker?.controller;
  if (!worker) return null;
  const channel = new MessageChannel();
  const answer = new Promise((resolve) => {
    channel.port1.onmessage = (event) => resolve(Array.isArray(event.data?.parts) ? event.data.parts : null);
    setTimeout(() => resolve(null), kShareWaitMs);
  });
  worker.postMessage({ type: 'take-share', id }, [channel.port2]);
  return answer;
}

/**
 * Text shared to kolmo from another app: the web app manifest's share_target posts it to the
 * service worker, which keeps it in memory and opens ./?share=<id> (web/sw.js); an app installed
 * with an earlier manifest opens ./?title=…&text=…&url=… instead. The parts are joined by lines,
 * each once (apps often repeat the link of `url` in `text`). The parameters leave the address, so
 * that they do not end up in the link.
 * @returns {Promise<{text: string|null, lost: boolean}>} text: null if nothing was shared;
 *   lost: a text was shared but the service worker no longer had it
 */
export async function takeSharedText() {
  const id = params.get('share');
  const rest = new URLSearchParams(location.search);
  for (const key of [...kSharedKeys, 'share']) rest.delete(key);
  const query = rest.toString();
  const parts = id !== null ? (await sharedParts(id)) : kSharedKeys.map((key) => params.get(key) ?? '');
  if (id !== null || parts?.some((part) => part !== '')) {
    history.replaceState(null, '', location.pathname + (query ? `?${query}` : '') + location.hash);
  }
  if (parts === null) return { text: null, lost: id !== null };
  const given = parts.filter((part) => typeof part === 'string' && part !== '');
  if (given.length === 0) return { text: null, lost: false };
  const kept = given.filter((part, i) => !given.some((other, j) => j !== i && other.includes(part) && (other !== part || j < i)));
  return { text: kept.join('\n'), lost: false };
}
