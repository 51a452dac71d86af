// web/app/channels.js: which channels a link of a given length fits, and the page's warning before
// it outgrows one.
import test from 'node:test';
import assert from 'node:assert/strict';
import { channelFits, channelWarning, kChannels, kNearShare } from '../../web/app/channels.js';

const fitsOf = (/** @type {number} */ length) => Object.fromEntries(channelFits(length).map((c) => [c.id, c.fit]));

test('the channels and their limits', () => {
  assert.deepEqual(kChannels.map((c) => [c.id, c.limit]), [['sms', 160], ['tweet', 280], ['discord', 2000], ['qr', 2953], ['slack', 4000]]);
});

test('a link fits up to a limit, is near it from 90% on, and over it past the limit', () => {
  assert.deepEqual(fitsOf(80), { sms: 'fits', tweet: 'fits', discord: 'fits', qr: 'fits', slack: 'fits' });
  assert.equal(fitsOf(Math.ceil(160 * kNearShare) - 1).sms, 'fits');
  assert.equal(fitsOf(Math.ceil(160 * kNearShare)).sms, 'near');
  assert.equal(fitsOf(160).sms, 'near');
  assert.deepEqual(fitsOf(161), { sms: 'over', tweet: 'fits', discord: 'fits', qr: 'fits', slack: 'fits' });
  assert.deepEqual(fitsOf(2500), { sms: 'over', tweet: 'over', discord: 'over', qr: 'fits', slack: 'fits' });
  assert.deepEqual(fitsOf(4001), { sms: 'over', tweet: 'over', discord: 'over', qr: 'over', slack: 'over' });
  assert.equal(channelFits(150).find((c) => c.id === 'sms')?.spare, 10);
});

test('the warning comes before a link outgrows a channel, and once it fits none', () => {
  assert.equal(channelWarning(80), '');
  assert.equal(channelWarning(200), '', 'over SMS, far from a tweet');
  assert.equal(channelWarning(150), '11 more characters and the link no longer fits in one text message (150 of 160).');
  assert.equal(channelWarning(1900), '101 more characters and the link no longer fits in a Discord message (1,900 of 2,000).');
  assert.equal(channelWarning(4000), '1 more character and the link no longer fits in a Slack message (4,000 of 4,000).');
  assert.match(channelWarning(4001), /^At 4,001 characters the link is too long for chat apps and a QR code/);
});
