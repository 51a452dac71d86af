// Golden password links (tests/golden/encrypted): each opens to its text with the password, in
// the library and the CLI, and a wrong password is wrong_password.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decompress } from '../../web/lib/index.js';
import { repoRoot } from './helpers.mjs';

const dir = join(repoRoot, 'tests/golden/encrypted');
const password = readFileSync(join(dir, 'password.txt'), 'utf8').split('\n')[0];
const names = readdirSync(dir).filter((f) => f.endsWith('.link')).map((f) => f.slice(0, -5));

test('there are golden password links', () => assert.ok(names.length >= 2));

for (const name of names) {
  test(`golden password link ${name} opens (library, CLI) and refuses a wrong password`, async () => {
    const link = readFileSync(join(dir, `${name}.link`), 'utf8').trim();
    const text = readFileSync(join(dir, `${name}.txt`));
    assert.deepEqual(Buffer.from(await decompress(link, { password, output: 'bytes' })), text);
    await assert.rejects(decompress(link, { password: password + '!' }), (e) => /** @type {any} */ (e).code === 'wrong_password');
    const out = execFileSync(process.execPath, [join(repoRoot, 'bin/kolmo.js'), 'decompress', '--url', '--password-file', join(dir, 'password.txt'), join(dir, `${name}.link`)]);
    assert.deepEqual(out, text);
    const none = spawnSync(process.execPath, [join(repoRoot, 'bin/kolmo.js'), 'decompress', '--url', join(dir, `${name}.link`)]);
    assert.equal(none.status, 1);
    assert.match(none.stderr.toString(), /^kolmo: password_required: /);
  });
}
