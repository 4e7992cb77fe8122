/**
 * The package as a user gets it: the repository's files copied as a clean clone would
 * have them, `npm pack` (which must build everything itself), the tarball installed into
 * fresh projects with `npm install --offline` (scripts/setup.sh puts the dependencies in
 * npm's cache), with and without install scripts; a strict TypeScript consumer (module
 * nodenext) importing both entry points, type-checked and run on the simulator and on
 * this machine's kernel; the bin; the arm64 prebuild's initialiser run under qemu-user.
 *
 * DEVLINK_SF_SKIP_PACKAGE=1 skips it (it packs, so it takes ~30 s).
 */
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isolatedEnv, REPO, runOk } from './package.helpers';

const NPM_QUIET = ['--offline', '--no-audit', '--no-fund', '--loglevel=error'];

/** A copy of what git tracks (and what is new and not ignored), as a clean clone has it. */
async function cleanCopy(to: string): Promise<void> {
  const { stdout } = await runOk('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO });
  for (const f of stdout.split('\0').filter(Boolean)) {
    const src = path.join(REPO, f);
    const st = await fs.stat(src).catch(() => undefined);
    if (st === undefined || !st.isFile()) continue; // deleted in the work tree
    await fs.mkdir(path.dirname(path.join(to, f)), { recursive: true });
    await fs.copyFile(src, path.join(to, f));
  }
  // the build tools (typescript, prebuildify, node-gyp) as `npm ci` would install them
  await fs.symlink(path.join(REPO, 'node_modules'), path.join(to, 'node_modules'));
}

const CONSUMER_TS = `
import { Devlink, GenericNetlink, SubfunctionError, ValidationError } from 'devlink-sf';
import type { DevlinkPort } from 'devlink-sf';
import { Simulator } from 'devlink-sf/sim';

const sim = new Simulator({ devices: [{ handle: 'pci/0000:06:00.0', driver: 'mlx5_core', pfnum: 0 }] });
const dl = await Devlink.open({ transport: sim.transport() });
await dl.setEswitch('pci/0000:06:00.0', { mode: 'switchdev' });
const sf = await dl.createSubfunction({ dev: 'pci/0000:06:00.0', pfnum: 0, sfnum: 88, hwAddr: '00:00:00:00:88:88' });
const ports: DevlinkPort[] = await dl.ports({ dev: 'pci/0000:06:00.0' });
let again = '';
try {
  await dl.createSubfunction({ dev: 'pci/0000:06:00.0', pfnum: 0, sfnum: 88 });
} catch (e) {
  if (e instanceof SubfunctionError) again = \`\${e.code} \${e.outcome}\`;
}
let invalid = '';
try {
  await dl.ports({ dev: 'pci/0000:06:00.0', bogus: 1 } as never);
} catch (e) {
  if (e instanceof ValidationError) invalid = e.field;
}
await dl.close();
await sim.close();

// this machine's kernel, through the socket of the shipped addon
const g = await GenericNetlink.open();
const nlctrl = await g.family('nlctrl');
await g.close();

console.log(JSON.stringify({ aux: sf.auxDevice, sfnums: ports.map((p) => p.sfnum ?? null), again, invalid, nlctrl: nlctrl.id }));
`;

async function writeConsumer(dir: string): Promise<void> {
  await fs.writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
  await fs.writeFile(path.join(dir, 'index.ts'), CONSUMER_TS);
  await fs.writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true,
      noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true, skipLibCheck: false,
      types: ['node'], typeRoots: [path.join(REPO, 'node_modules', '@types')], outDir: 'out',
    },
    files: ['index.ts'],
  }));
}

describe('the package, packed and installed as a user would', function () {
  this.timeout(240_000);
  let tmp: string;
  let tarball: string;
  const consumers: Record<'scripts' | 'ignoreScripts', string> = { scripts: '', ignoreScripts: '' };

  before(async function () {
    if (process.env.DEVLINK_SF_SKIP_PACKAGE === '1') this.skip();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'devlink-sf-package-'));
    const clone = path.join(tmp, 'clone');
    await cleanCopy(clone);
    await runOk('npm', ['pack', '--pack-destination', tmp, '--loglevel=error'], { cwd: clone });
    tarball = path.join(tmp, 'devlink-sf-0.1.0.tgz');
    for (const [name, extra] of [['scripts', []], ['ignoreScripts', ['--ignore-scripts']]] as const) {
      const dir = path.join(tmp, name);
      await fs.mkdir(dir);
      await writeConsumer(dir);
      await runOk('npm', ['install', ...NPM_QUIET, ...extra, tarball], { cwd: dir });
      consumers[name] = dir;
    }
  });

  after(async () => {
    if (tmp !== undefined) await fs.rm(tmp, { recursive: true, force: true });
  });

  it('ships the build, the sources its maps name, LICENSE and both prebuilds; no tests', async () => {
    const { stdout } = await runOk('tar', ['-tzf', tarball]);
    const files = new Set(stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, '')));
    for (const f of ['LICENSE', 'README.md', 'bin/devlink-sf.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/sim/index.d.ts',
      'dist/src/cli/main.js', 'dist/src/index.js.map', 'src/index.ts', 'src/cli/main.ts',
      'prebuilds/linux-x64/devlink-sf.glibc.node', 'prebuilds/linux-arm64/devlink-sf.glibc.node', 'native/netlink.c', 'binding.gyp']) {
      assert.ok(files.has(f), `${f} is in the tarball`);
    }
    assert.deepEqual([...files].filter((f) => /(^|\/)test\/|\.test\.|^dist\/(test|bench)\//.test(f)), []);
    // every source map names a shipped source
    const map = JSON.parse(
      await fs.readFile(path.join(consumers.scripts, 'node_modules/devlink-sf/dist/src/cli/main.js.map'), 'utf8')) as { sources: string[] };
    for (const s of map.sources) {
      await fs.access(path.resolve(consumers.scripts, 'node_modules/devlink-sf/dist/src/cli', s));
    }
  });

  for (const name of ['scripts', 'ignoreScripts'] as const) {
    it(`installed ${name === 'scripts' ? 'with' : 'without'} install scripts: the addon is the shipped prebuild, nothing was compiled`, async () => {
      const pkg = path.join(consumers[name], 'node_modules', 'devlink-sf');
      const { stdout } = await runOk('node', ['-p', `require('node-gyp-build').path(${JSON.stringify(pkg)})`], { cwd: consumers[name] });
      assert.equal(stdout.trim(), path.join(pkg, 'prebuilds', 'linux-x64', 'devlink-sf.glibc.node'));
      await assert.rejects(fs.access(path.join(pkg, 'build')), /ENOENT/);
    });
  }

  it('a strict nodenext consumer of both entry points type-checks and runs on the simulator and this kernel', async () => {
    const dir = consumers.ignoreScripts;
    await runOk(process.execPath, [path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], { cwd: dir });
    const r = await runOk('node', ['out/index.js'], { cwd: dir });
    // the fallback socket would have said so on stderr
    assert.equal(r.stderr, '');
    const got = JSON.parse(r.stdout) as { aux: string; sfnums: (number | null)[]; again: string; invalid: string; nlctrl: number };
    assert.match(got.aux, /^mlx5_core\.sf\.\d+$/);
    assert.ok(got.sfnums.includes(88));
    assert.equal(got.again, 'EEXIST none');
    assert.equal(got.invalid, 'bogus');
    assert.equal(got.nlctrl, 0x10); // GENL_ID_CTRL, include/uapi/linux/genetlink.h
  });

  it('the devlink-sf bin runs through npx', async () => {
    const dir = consumers.scripts;
    const v = await runOk('npx', ['--no-install', 'devlink-sf', '-V'], { cwd: dir });
    assert.equal(v.stdout, 'devlink-sf 0.1.0\n');
    // its own TMPDIR: a background simulator someone started (sim start) is not the one asked for
    const simTmp = await fs.mkdtemp(path.join(tmp, 'tmpdir-'));
    const r = await runOk('npx', ['--no-install', 'devlink-sf', '--sim', '-j', 'port', 'show'], { cwd: dir, env: isolatedEnv(simTmp) });
    const ports = JSON.parse(r.stdout) as { port: Record<string, { flavour: string }> };
    assert.deepEqual(Object.keys(ports.port), ['pci/0000:06:00.0/65535', 'pci/0000:06:00.1/131071']);
  });

  it('the arm64 prebuild loads under qemu-user and exports what the x64 one exports to Node', async () => {
    const pkg = path.join(consumers.scripts, 'node_modules', 'devlink-sf');
    const probe = path.join(tmp, 'napi-probe');
    await runOk('aarch64-linux-gnu-gcc',
      ['-O1', '-rdynamic', '-I/usr/include/node', '-o', probe, path.join(REPO, 'scripts', 'prebuild', 'napi-probe.c'), '-ldl']);
    const got = await runOk('qemu-aarch64', ['-L', '/usr/aarch64-linux-gnu', probe, path.join(pkg, 'prebuilds', 'linux-arm64', 'devlink-sf.glibc.node')]);
    // what Node itself sees of the x64 prebuild, in the probe's form
    const x64 = require(path.join(pkg, 'prebuilds', 'linux-x64', 'devlink-sf.glibc.node')) as {
      NetlinkSocket: { name: string; prototype: object }; constants: Record<string, number>; abi: number;
    };
    const methods = Object.getOwnPropertyNames(x64.NetlinkSocket.prototype).filter((m) => m !== 'constructor');
    const want = [`class ${x64.NetlinkSocket.name} ${methods.join(' ')}`, 'constants <object>', `abi ${x64.abi}`,
      ...Object.entries(x64.constants).map(([k, v]) => `constants.${k} ${v}`)];
    assert.deepEqual(got.stdout.trim().split('\n'), want);
  });
});
