// Renders the page's PNG icons (web/icons/icon-192.png, icon-512.png, icon-maskable-512.png) from
// their SVG sources with Debian's chromium, so that they can be remade after the SVG changes:
//   node scripts/make_icons.mjs
// The PNGs are committed (the web app manifest needs PNGs at 192 and 512 px for installation).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, repoRoot } from '../tests/e2e/browser.mjs';

const icons = join(repoRoot, 'web/icons');
const kOutputs = [
  ['icon.svg', 'icon-192.png', 192],
  ['icon.svg', 'icon-512.png', 512],
  ['icon-maskable.svg', 'icon-maskable-512.png', 512],
];

const browser = await launchBrowser();
try {
  for (const [svg, png, size] of kOutputs) {
    const context = await browser.newContext({ viewport: { width: Number(size), height: Number(size) }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const source = readFileSync(join(icons, String(svg)), 'utf8').replace('<svg ', `<svg width="${size}" height="${size}" `);
    await page.setContent(`<body style="margin:0;background:transparent">${source}</body>`);
    await page.locator('svg').screenshot({ path: join(icons, String(png)), omitBackground: true });
    await context.close();
    console.log(`web/icons/${png}: ${size}x${size} from ${svg}`);
  }
} finally {
  await browser.close();
}
