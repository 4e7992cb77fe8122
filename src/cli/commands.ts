/**
 * The command tree and its dispatch, as devlink's cmd_*() functions dispatch: at each
 * level "help" first, then the subcommands in order, each matched by prefix; some levels
 * run a default command when no word is left ("dev" is "dev show").
 */
import { Args, UsageError } from './args';
import { agentCmd } from './cmd-agent';
import { applyCmd } from './cmd-apply';
import { demoCmd } from './cmd-demo';
import { devInfo, devReload, devShow, eswitchSet, eswitchShow, paramSet, paramShow } from './cmd-dev';
import { genlFamilies, genlFamily } from './cmd-genl';
import { resourceSet, resourceShow } from './cmd-resource';
import { devFlash } from './cmd-flash';
import { regionDel, regionDump, regionNew, regionRead, regionShow } from './cmd-region';
import { trapGroupSet, trapGroupShow, trapPolicerSet, trapPolicerShow, trapSet, trapShow } from './cmd-trap';
import { healthDiagnose, healthDumpClear, healthDumpShow, healthRecover, healthSet, healthShow, healthTest } from './cmd-health';
import { monitorCmd } from './cmd-monitor';
import { functionSet, portAdd, portDel, portSet, portShow, portSplit, portUnsplit } from './cmd-port';
import { rateAdd, rateDel, rateSet, rateShow } from './cmd-rate';
import { sfCreate, sfDestroy, sfEnsure, sfList } from './cmd-sf';
import { helpFor } from './help';
import type { Session } from './session';

type Run = (s: Session, a: Args) => Promise<void>;

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
        { name: 'eswitch', bare: 'help', sub: [leaf('set', eswitchSet), leaf('show', eswitchShow)] },
        leaf('reload', devReload, { bare: 'help', helpWord: true }),
        { name: 'param', run: paramShow, bare: 'run', sub: [leaf('show', paramShow, { aliases: SHOW }), leaf('set', paramSet)] },
        leaf('info', devInfo, { helpWord: true }),
        leaf('flash', devFlash, { bare: 'help', helpWord: true }),
      ],
    },
    {
      name: 'port', run: portShow, bare: 'run',
      sub: [
        leaf('show', portShow, { aliases: SHOW }),
        leaf('set', portSet),
        leaf('split', portSplit),
        leaf('unsplit', portUnsplit),
        {
          name: 'function', bare: 'help',
          sub: [
            leaf('set', functionSet, { bare: 'help' }),
            {
              name: 'rate', run: rateShow, bare: 'run',
              sub: [leaf('show', rateShow), leaf('add', rateAdd), leaf('del', rateDel), leaf('set', rateSet)],
            },
          ],
        },
        leaf('add', portAdd, { bare: 'help', helpWord: true }),
        leaf('del', portDel, { bare: 'help', helpWord: true }),
      ],
    },
    {
      name: 'health', run: healthShow, bare: 'run',
      sub: [
        leaf('show', healthShow, { aliases: SHOW }), leaf('recover', healthRecover), leaf('diagnose', healthDiagnose), leaf('test', healthTest),
        { name: 'dump', run: healthDumpShow, bare: 'run', sub: [leaf('show', healthDumpShow, { aliases: SHOW }), leaf('clear', healthDumpClear)] },
        leaf('set', healthSet),
      ],
    },
    { name: 'resource', bare: 'help', sub: [leaf('show', resourceShow), leaf('set', resourceSet)] },
    {
      name: 'region', run: regionShow, bare: 'run',
      sub: [leaf('show', regionShow, { aliases: SHOW }), leaf('del', regionDel), leaf('new', regionNew), leaf('dump', regionDump), leaf('read', regionRead)],
    },
    {
      name: 'trap', run: trapShow, bare: 'run',
      sub: [
        leaf('show', trapShow, { aliases: SHOW }), leaf('set', trapSet),
        { name: 'group', run: trapGroupShow, bare: 'run', sub: [leaf('show', trapGroupShow, { aliases: SHOW }), leaf('set', trapGroupSet)] },
        { name: 'policer', run: trapPolicerShow, bare: 'run', sub: [leaf('show', trapPolicerShow, { aliases: SHOW }), leaf('set', trapPolicerSet)] },
      ],
    },
    leaf('monitor', monitorCmd, { helpWord: true }),
    {
      name: 'sf', run: sfList, bare: 'run',
      sub: [leaf('create', sfCreate, { bare: 'help' }), leaf('ensure', sfEnsure, { bare: 'help' }), leaf('destroy', sfDestroy, { bare: 'help' }), leaf('list', sfList, { aliases: ['show'] })],
    },
    leaf('apply', applyCmd, { bare: 'help', helpWord: true }),
    leaf('agent', agentCmd, { bare: 'help', helpWord: true }),
    { name: 'genl', bare: 'help', sub: [leaf('family', genlFamily, { bare: 'help' }), leaf('families', genlFamilies, { aliases: ['list'] })] },
    leaf('demo', demoCmd, { helpWord: true }),
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
      if (!next) throw new UsageError(`${path.length === 0 ? 'Object' : 'Command'} "${a.peek()}" not found`);
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
