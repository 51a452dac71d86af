// @file Numbers for the page's sentences: counts with thousands separators ("12,345"), as
// toLocaleString('en-US') writes integers, without it: a page's first toLocaleString loads the
// ICU number formats, 12-50 ms (measured in Debian's chromium) on the way to the first opened
// text.

/** An integer with a comma between each group of three digits: 1234567 -> "1,234,567". @param {number} n */
export const formatCount = (n) => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
