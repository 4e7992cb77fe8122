// The README's TypeScript snippets run as written, on the simulator: the library snippet
// with `Devlink.open()` opening on a simulated mlx5 PF (the host has no devlink) and its
// endless loops ended by closing the connection; the simulator snippet untouched.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import * as lib from '../src';
import { Devlink } from '../src/devlink/devlink';
import * as simLib from '../src/sim';
import { suiteNetns } from './helpers/netns';

const README = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
const snippets = [...README.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);

/** A snippet as the body of an async function: imports become parameters, types are stripped. */
function compile(code: string): string {
  const body = code
    .replace(/^import \{([^}]*)\} from 'devlink-sf';$/m, 'const {$1} = lib;')
    .replace(/^import \{([^}]*)\} from 'devlink-sf\/sim';$/m, 'const {$1} = simLib;');
  assert.doesNotMatch(body, /^import /m, 'every import is one the test provides');
  return ts.transpileModule(body, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.None } }).outputText;
}

type Run = (lib: unknown, simLib: unknown, console: { log: (...a: unknown[]) => void }) => Promise<unknown>;
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => Run;

describe('the README snippets run as written', function () {
  this.timeout(20_000);

  it('has the three snippets this test knows', () => {
    assert.equal(snippets.length, 3);
    assert.match(snippets[0], /createSubfunction/);
    assert.match(snippets[1], /netns: 'ns1'/);
    assert.match(snippets[2], /new Simulator/);
  });

  it('the library snippet, on a simulated PF', async () => {
    const sim = new simLib.Simulator({ devices: [{ handle: 'pci/0000:06:00.0', pfnum: 0 }], timing: { attachMs: 5 } });
    const opened: Devlink[] = [];
    const open = Devlink.open;
    const watchPorts = Devlink.prototype.watchPorts;
    Devlink.open = async (o = {}) => {
      const dl = await open.call(Devlink, { ...o, transport: sim.transport() });
      opened.push(dl);
      // the snippet's monitor loop runs until the connection closes
      dl.watchPorts = async (wo) => {
        const w = await watchPorts.call(dl, wo);
        // ... and its watch loop until the watch is closed
        setTimeout(() => {
          void w.close();
          setTimeout(() => void dl.genl.close(), 100);
        }, 100);
        return w;
      };
      return dl;
    };
    const logged: unknown[][] = [];
    try {
      await new AsyncFunction('lib', 'simLib', 'console', compile(snippets[0]))(lib, simLib, { log: (...a) => logged.push(a) });
    } finally {
      Devlink.open = open;
      await sim.close();
    }
    assert.equal(opened.length, 1);
    // what the snippet's catch printed: the step, the outcome, and the kernel's fields
    assert.deepEqual(logged[0], ['add-port', 'none', 'pci/0000:06:00.0/32768']);
    assert.deepEqual(logged[1], [17, 'EEXIST', 'mlx5_core: SF already exist. Choose different sfnum', undefined]);
    assert.deepEqual(logged[2], [2, 'attached']);
  });

  it('the simulator snippet, then a create with no sysfsRoot anywhere', async () => {
    const code = `${compile(snippets[2])}
      await dl.setEswitch('pci/0000:06:00.0', { mode: 'switchdev' });
      const sf = await dl.createSubfunction({ dev: 'pci/0000:06:00.0', pfnum: 0, sfnum: 88 });
      await dl.close();
      await sim.close();
      return sf;`;
    const sf = (await new AsyncFunction('lib', 'simLib', 'console', `const { Devlink } = lib;\n${code}`)(lib, simLib, console)) as lib.Subfunction;
    assert.match(sf.auxDevice ?? '', /^mlx5_core\.sf\.\d+$/);
    assert.ok(sf.netdev);
  });

  describe('the netns snippet, on a simulated PF, with a namespace of the test\'s own for ns1', () => {
    const ns = suiteNetns('dlsf-readme');
    it('prints where the SF is', async () => {
      const sim = new simLib.Simulator({ devices: [{ handle: 'pci/0000:06:00.0', pfnum: 0, eswitch: 'switchdev' }], timing: { attachMs: 5 } });
      const open = Devlink.open;
      // the snippet's open goes to the simulator; the lifecycle's own, in the namespace, keeps its endpoint there
      Devlink.open = (o = {}) => open.call(Devlink, { ...o, transport: o.transport ?? sim.transport() });
      const logged: unknown[][] = [];
      try {
        const code = compile(snippets[1].replace("netns: 'ns1'", `netns: '${ns.name}'`));
        await new AsyncFunction('lib', 'simLib', 'console', code)(lib, simLib, { log: (...a) => logged.push(a) });
      } finally {
        Devlink.open = open;
        await sim.close();
      }
      assert.equal(logged.length, 1);
      const [where, inst, netdev] = logged[0];
      assert.equal(where, ns.path);
      assert.match(String(inst), /^auxiliary\/mlx5_core\.sf\.\d+$/);
      assert.equal(netdev, 'eth0');
    });
  });
});
