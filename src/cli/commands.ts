/**
 * The command tree and its dispatch, as devlink's cmd_*() functions dispatch: at each
 * level "help" first, then the subcommands in order, each matched by prefix; some levels
 * run a default command when no word is left ("dev" is "dev show").
 */
import { Args, UsageError } from './args';
import type { Session } from './session';

type Run = (s: Session, a: Args) => Promise<void>;

/**
 * A command whose module is loaded when it runs: a start loads only what the command
 * needs (YAML for apply, the agent's packages, the simulator only for --sim).
 */
function lazy<M>(load: () => Promise<M>, pick: (m: M) => Run): Run {
  return async (s, a) => pick(await load())(s, a);
}

// require(), not import(): import() of a CommonJS file goes through Node's ESM loader, which
// it starts for the first one and which parses each file once more for its exports (about
// 20 ms of a start on Node 20). In a promise, so a module that fails to load rejects the command.
/* eslint-disable @typescript-eslint/no-require-imports */

const agent = (): Promise<typeof import('./cmd-agent')> => Promise.resolve().then(() => require('./cmd-agent.js'));
const apply = (): Promise<typeof import('./cmd-apply')> => Promise.resolve().then(() => require('./cmd-apply.js'));
const demo = (): Promise<typeof import('./cmd-demo')> => Promise.resolve().then(() => require('./cmd-demo.js'));
const dev = (): Promise<typeof import('./cmd-dev')> => Promise.resolve().then(() => require('./cmd-dev.js'));
const genl = (): Promise<typeof import('./cmd-genl')> => Promise.resolve().then(() => require('./cmd-genl.js'));
const mon = (): Promise<typeof import('./cmd-monitor')> => Promise.resolve().then(() => require('./cmd-monitor.js'));
const port = (): Promise<typeof import('./cmd-port')> => Promise.resolve().then(() => require('./cmd-port.js'));
const rate = (): Promise<typeof import('./cmd-rate')> => Promise.resolve().then(() => require('./cmd-rate.js'));
const sf = (): Promise<typeof import('./cmd-sf')> => Promise.resolve().then(() => require('./cmd-sf.js'));
const sim = (): Promise<typeof import('./cmd-sim')> => Promise.resolve().then(() => require('./cmd-sim.js'));
const flash = (): Promise<typeof import('./cmd-flash')> => Promise.resolve().then(() => require('./cmd-flash.js'));
const health = (): Promise<typeof import('./cmd-health')> => Promise.resolve().then(() => require('./cmd-health.js'));
const region = (): Promise<typeof import('./cmd-region')> => Promise.resolve().then(() => require('./cmd-region.js'));
const resource = (): Promise<typeof import('./cmd-resource')> => Promise.resolve().then(() => require('./cmd-resource.js'));
const trap = (): Promise<typeof import('./cmd-trap')> => Promise.resolve().then(() => require('./cmd-trap.js'));

/**
 * The help of a command (help.ts), loaded when help is printed: its texts are a fifth of
 * what a command's start would otherwise load (bench/README.md).
 */
export function helpFor(path: readonly string[]): string {
  return (require('./help.js') as typeof import('./help')).helpFor(path);
}
/* eslint-enable @typescript-eslint/no-require-imports */

const devShow = lazy(dev, (m) => m.devShow);
const paramShow = lazy(dev, (m) => m.paramShow);
const portShow = lazy(port, (m) => m.portShow);
const rateShow = lazy(rate, (m) => m.rateShow);
const sfList = lazy(sf, (m) => m.sfList);
const simStatus = lazy(sim, (m) => m.simStatus);
const healthShow = lazy(health, (m) => m.healthShow);
const regionShow = lazy(region, (m) => m.regionShow);
const trapShow = lazy(trap, (m) => m.trapShow);

export interface Command {
  readonly name: string;
  readonly aliases?: readonly string[];
  readonly run?: Run;
  readonly sub?: readonly Command[];
  /** With no words left: run `run` ('run'), or print the help ('help'). */
  readonly bare?: 'run' | 'help';
  /** A leaf that takes the word "help" as a request for help (iproute2 does for some). */
  readonly helpWord?: boolean;
}

const leaf = (name: string, run: Run, o: Partial<Command> = {}): Command => ({ name, run, bare: 'run', ...o });

const SHOW = ['list'];

export const TREE: Command = {
  name: '',
  bare: 'help',
  sub: [
    {
      name: 'dev', run: devShow, bare: 'run',
      sub: [
        leaf('show', devShow, { aliases: SHOW }),
        { name: 'eswitch', bare: 'help', sub: [leaf('set', lazy(dev, (m) => m.eswitchSet)), leaf('show', lazy(dev, (m) => m.eswitchShow))] },
        leaf('reload', lazy(dev, (m) => m.devReload), { bare: 'help', helpWord: true }),
        { name: 'param', run: paramShow, bare: 'run', sub: [leaf('show', paramShow, { aliases: SHOW }), leaf('set', lazy(dev, (m) => m.paramSet))] },
        leaf('info', lazy(dev, (m) => m.devInfo), { helpWord: true }),
        leaf('flash', lazy(flash, (m) => m.devFlash), { bare: 'help', helpWord: true }),
      ],
    },
    {
      name: 'port', run: portShow, bare: 'run',
      sub: [
        leaf('show', portShow, { aliases: SHOW }),
        leaf('set', lazy(port, (m) => m.portSet)),
        leaf('split', lazy(port, (m) => m.portSplit)),
        leaf('unsplit', lazy(port, (m) => m.portUnsplit)),
        {
          name: 'function', bare: 'help',
          sub: [
            leaf('set', lazy(port, (m) => m.functionSet), { bare: 'help' }),
            {
              name: 'rate', run: rateShow, bare: 'run',
              sub: [
                leaf('show', rateShow), leaf('add', lazy(rate, (m) => m.rateAdd)), leaf('del', lazy(rate, (m) => m.rateDel)),
                leaf('set', lazy(rate, (m) => m.rateSet)),
              ],
            },
          ],
        },
        leaf('add', lazy(port, (m) => m.portAdd), { bare: 'help', helpWord: true }),
        leaf('del', lazy(port, (m) => m.portDel), { bare: 'help', helpWord: true }),
      ],
    },
    {
      name: 'health', run: healthShow, bare: 'run',
      sub: [
        leaf('show', healthShow, { aliases: SHOW }), leaf('recover', lazy(health, (m) => m.healthRecover)),
        leaf('diagnose', lazy(health, (m) => m.healthDiagnose)), leaf('test', lazy(health, (m) => m.healthTest)),
        {
          name: 'dump', run: lazy(health, (m) => m.healthDumpShow), bare: 'run',
          sub: [leaf('show', lazy(health, (m) => m.healthDumpShow), { aliases: SHOW }), leaf('clear', lazy(health, (m) => m.healthDumpClear))],
        },
        leaf('set', lazy(health, (m) => m.healthSet)),
      ],
    },
    { name: 'resource', bare: 'help', sub: [leaf('show', lazy(resource, (m) => m.resourceShow)), leaf('set', lazy(resource, (m) => m.resourceSet))] },
    {
      name: 'region', run: regionShow, bare: 'run',
      sub: [
        leaf('show', regionShow, { aliases: SHOW }), leaf('del', lazy(region, (m) => m.regionDel)), leaf('new', lazy(region, (m) => m.regionNew)),
        leaf('dump', lazy(region, (m) => m.regionDump)), leaf('read', lazy(region, (m) => m.regionRead)),
      ],
    },
    {
      name: 'trap', run: trapShow, bare: 'run',
      sub: [
        leaf('show', trapShow, { aliases: SHOW }), leaf('set', lazy(trap, (m) => m.trapSet)),
        {
          name: 'group', run: lazy(trap, (m) => m.trapGroupShow), bare: 'run',
          sub: [leaf('show', lazy(trap, (m) => m.trapGroupShow), { aliases: SHOW }), leaf('set', lazy(trap, (m) => m.trapGroupSet))],
        },
        {
          name: 'policer', run: lazy(trap, (m) => m.trapPolicerShow), bare: 'run',
          sub: [leaf('show', lazy(trap, (m) => m.trapPolicerShow), { aliases: SHOW }), leaf('set', lazy(trap, (m) => m.trapPolicerSet))],
        },
      ],
    },
    leaf('monitor', lazy(mon, (m) => m.monitorCmd), { helpWord: true }),
    {
      name: 'sf', run: sfList, bare: 'run',
      sub: [
        leaf('create', lazy(sf, (m) => m.sfCreate), { bare: 'help' }), leaf('ensure', lazy(sf, (m) => m.sfEnsure), { bare: 'help' }),
        leaf('destroy', lazy(sf, (m) => m.sfDestroy), { bare: 'help' }), leaf('list', sfList, { aliases: ['show'] }),
      ],
    },
    leaf('apply', lazy(apply, (m) => m.applyCmd), { bare: 'help', helpWord: true }),
    leaf('agent', lazy(agent, (m) => m.agentCmd), { bare: 'help', helpWord: true }),
    {
      name: 'genl', bare: 'help',
      sub: [leaf('family', lazy(genl, (m) => m.genlFamily), { bare: 'help' }), leaf('families', lazy(genl, (m) => m.genlFamilies), { aliases: ['list'] })],
    },
    leaf('demo', lazy(demo, (m) => m.demoCmd), { helpWord: true }),
    {
      name: 'sim', run: simStatus, bare: 'run',
      sub: [leaf('start', lazy(sim, (m) => m.simStart)), leaf('stop', lazy(sim, (m) => m.simStop)), leaf('status', simStatus, { aliases: ['show'] })],
    },
  ],
};

function findSub(node: Command, a: Args): Command | undefined {
  return node.sub?.find((c) => a.match(c.name) || (c.aliases ?? []).some((x) => a.match(x)));
}

/** The path of command names the words lead to (for --help). */
export function resolvePath(words: readonly string[]): string[] {
  const a = new Args(words);
  const path: string[] = [];
  let node = TREE;
  for (;;) {
    const next = findSub(node, a);
    if (!next) return path;
    a.next();
    path.push(next.name);
    node = next;
  }
}

export async function dispatch(s: Session, words: readonly string[]): Promise<void> {
  const a = new Args(words);
  const path: string[] = [];
  let node = TREE;
  for (;;) {
    if (a.empty) {
      if (node.bare === 'run' && node.run) return node.run(s, a);
      s.out(helpFor(path));
      return;
    }
    if (node.sub) {
      if (a.match('help')) {
        s.out(helpFor(path));
        return;
      }
      const next = findSub(node, a);
      if (!next) {
        const w = a.peek() ?? '';
        // a word like an option where a command was expected: an option devlink-sf does not know
        if (/^--?[a-zA-Z]/.test(w)) throw new UsageError(`Unknown option "${w}"\nTry "devlink-sf --help".`);
        throw new UsageError(`${path.length === 0 ? 'Object' : 'Command'} "${w}" not found`);
      }
      a.next();
      path.push(next.name);
      node = next;
      continue;
    }
    if (node.helpWord && a.peek() === 'help') {
      s.out(helpFor(path));
      return;
    }
    if (!node.run) throw new UsageError(`Command "${a.peek()}" not found`);
    return node.run(s, a);
  }
}
