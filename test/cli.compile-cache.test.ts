// The command line's V8 code cache (src/cli/compile-cache.ts): written once, used after,
// rewritten when damaged or stale, off with DEVLINK_SF_COMPILE_CACHE=0, silent when it
// cannot be written. The command is `genl family nlctrl`, on this machine's kernel.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { COMPILE_CACHE_ENV, compileCacheDir } from '../src/cli/compile-cache';
import { BIN } from './package.helpers';

function run(env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'genl', 'family', 'nlctrl'], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const cacheFiles = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.bin')) : []);

describe('cli: the code cache of its own modules', function () {
  this.timeout(60_000);
  let tmp: string;
  let plain: string;

  before(function () {
    const r = run({ [COMPILE_CACHE_ENV]: '0' });
    assert.equal(r.status, 0, r.stderr);
    plain = r.stdout;
  });
  beforeEach(function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'devlink-sf-cc-'));
  });
  afterEach(function () {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('the first run writes one file (private to the user); the next uses it and writes nothing; the output is the same', function () {
    const dir = path.join(tmp, 'cache');
    assert.equal(run({ [COMPILE_CACHE_ENV]: dir }).stdout, plain);
    const files = cacheFiles(dir);
    assert.equal(files.length, 1);
    const file = path.join(dir, files[0]!);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    const before = fs.statSync(file);
    assert.ok(before.size > 10_000, `${before.size} bytes`);
    const second = run({ [COMPILE_CACHE_ENV]: dir });
    assert.equal(second.stdout, plain);
    assert.equal(second.stderr, '');
    const after = fs.statSync(file);
    assert.deepEqual([after.ino, after.mtimeMs], [before.ino, before.mtimeMs], 'the second run rewrote the cache');
  });

  it('a damaged cache file: the command runs as without one, and the file is written again', function () {
    const dir = path.join(tmp, 'cache');
    run({ [COMPILE_CACHE_ENV]: dir });
    const file = path.join(dir, cacheFiles(dir)[0]!);
    for (const junk of [Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2, 3]), Buffer.alloc(0), fs.readFileSync(file).subarray(0, 5000)]) {
      fs.writeFileSync(file, junk);
      const r = run({ [COMPILE_CACHE_ENV]: dir });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, plain);
      assert.equal(r.stderr, '');
      assert.ok(fs.statSync(file).size > 10_000, 'written again whole');
    }
  });

  it('DEVLINK_SF_COMPILE_CACHE=0 or off: nothing written; a place that cannot be written: nothing said', function () {
    for (const off of ['0', 'off', 'OFF']) {
      const r = run({ [COMPILE_CACHE_ENV]: off, HOME: tmp, XDG_CACHE_HOME: '' });
      assert.equal(r.stdout, plain);
      assert.deepEqual(fs.readdirSync(tmp), []);
    }
    const blocker = path.join(tmp, 'a-file');
    fs.writeFileSync(blocker, '');
    const r = run({ [COMPILE_CACHE_ENV]: path.join(blocker, 'cache') });
    assert.equal(r.status, 0);
    assert.equal(r.stdout, plain);
    assert.equal(r.stderr, '');
  });

  it('where it goes: the variable, else $XDG_CACHE_HOME/devlink-sf, else ~/.cache/devlink-sf, else nowhere', function () {
    assert.equal(compileCacheDir({ [COMPILE_CACHE_ENV]: '/x/y', XDG_CACHE_HOME: '/c', HOME: '/h' }), '/x/y');
    assert.equal(compileCacheDir({ XDG_CACHE_HOME: '/c', HOME: '/h' }), '/c/devlink-sf');
    assert.equal(compileCacheDir({ HOME: '/h' }), '/h/.cache/devlink-sf');
    assert.equal(compileCacheDir({}), undefined);
    assert.equal(compileCacheDir({ [COMPILE_CACHE_ENV]: 'off', HOME: '/h' }), undefined);
  });

  it('a module changed since its data was cached is compiled from its new text, not from the cache', function () {
    // a root of our own with one module, loaded through the cache twice, changed in between (same length, new mtime)
    const root = path.join(tmp, 'root');
    fs.mkdirSync(root);
    const mod = path.join(root, 'm.js');
    const script = (out: string): string => `
      require(${JSON.stringify(require.resolve('../src/cli/compile-cache'))}).useCompileCache(${JSON.stringify(root)},
        { ${COMPILE_CACHE_ENV}: ${JSON.stringify(path.join(tmp, 'cache'))} });
      process.stdout.write(String(require(${JSON.stringify(mod)}).value) + ${JSON.stringify(out)});`;
    fs.writeFileSync(mod, 'exports.value = 111;\n');
    const first = spawnSync(process.execPath, ['-e', script('')], { encoding: 'utf8' });
    assert.equal(first.stdout, '111', first.stderr);
    assert.equal(cacheFiles(path.join(tmp, 'cache')).length, 1);
    fs.writeFileSync(mod, 'exports.value = 222;\n');
    fs.utimesSync(mod, new Date(Date.now() + 5000), new Date(Date.now() + 5000));
    const second = spawnSync(process.execPath, ['-e', script('')], { encoding: 'utf8' });
    assert.equal(second.stdout, '222', second.stderr);
  });

  it('a module the cache cannot compile is left to Node, which reports it as without the cache', function () {
    const root = path.join(tmp, 'root');
    fs.mkdirSync(root);
    const bad = path.join(root, 'bad.js');
    fs.writeFileSync(bad, 'exports.value = ;\n');
    const load = (withCache: boolean): string => {
      const script = `
        ${withCache ? `require(${JSON.stringify(require.resolve('../src/cli/compile-cache'))}).useCompileCache(${JSON.stringify(root)},
          { ${COMPILE_CACHE_ENV}: ${JSON.stringify(path.join(tmp, 'cache'))} });` : ''}
        try { require(${JSON.stringify(bad)}); } catch (e) { process.stdout.write(e.name + ': ' + e.message); }`;
      return spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' }).stdout;
    };
    const plainError = load(false);
    assert.match(plainError, /^SyntaxError: /);
    assert.equal(load(true), plainError);
  });
});
