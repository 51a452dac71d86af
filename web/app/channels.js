// @file Where a link fits: the channels people paste links into, with the most characters a link
// may have there, and the page's verdict for a link of a given length. No DOM (render.js draws it;
// tests/node/channels.test.mjs checks it).
import { formatCount } from './format.js';

/**
 * Shortest first. SMS: one GSM 7-bit message (longer ones are split, and some phones break the
 * link); the QR code's figure is a version-40 code (the largest) in byte mode at low error
 * correction.
 */
export const kChannels = Object.freeze([
  { id: 'sms', name: 'SMS', limit: 160, what: 'one text message' },
  { id: 'tweet', name: 'Tweet', limit: 280, what: 'a tweet' },
  { id: 'discord', name: 'Discord', limit: 2000, what: 'a Discord message' },
  { id: 'qr', name: 'QR code', limit: 2953, what: 'a QR code' },
  { id: 'slack', name: 'Slack', limit: 4000, what: 'a Slack message' },
]);

/** From this share of a channel's limit on, a link is 'near' it and the page warns. */
export const kNearShare = 0.9;

/**
 * @param {number} length characters of the whole link
 * @returns {{id: string, name: string, limit: number, fit: 'fits'|'near'|'over', spare: number}[]}
 *   spare: characters left (negative: too many)
 */
export function channelFits(length) {
  return kChannels.map(({ id, name, limit }) => ({
    id, name, limit, spare: limit - length,
    fit: length > limit ? 'over' : length >= limit * kNearShare ? 'near' : 'fits',
  }));
}

/**
 * The warning for a link of this length: before it outgrows the tightest channel it still fits
 * (within kNearShare of it), or once it fits none; '' otherwise.
 * @param {number} length
 */
export function channelWarning(length) {
  const near = kChannels.find(({ limit }) => length <= limit && length >= limit * kNearShare);
  if (near) {
    const more = near.limit - length + 1;
    return `${formatCount(more)} more ${more === 1 ? 'character' : 'characters'} and the link no longer fits in ${near.what} ` +
      `(${formatCount(length)} of ${formatCount(near.limit)}).`;
  }
  if (length > kChannels[kChannels.length - 1].limit) {
    return `At ${formatCount(length)} characters the link is too long for chat apps and a QR code: send it by e-mail, or shorten the text.`;
  }
  return '';
}
