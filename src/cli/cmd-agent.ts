/**
 * devlink-sf agent --config FILE [--once] [--prune] [--metrics HOST:PORT] [--concurrency N] [--timeout MS]
 *
 * Keeps the sub-functions as FILE (apply's format) declares them: converges, then repairs
 * drift as events show it and follows edits of FILE (and SIGHUP); logs one JSON line per
 * action (human lines on a terminal); SIGTERM or SIGINT stop it cleanly (exit 0). --once converges
 * a single time and exits 1 if any SF could not be brought to its desired state.
 * The agent module (with prom-client and pino) is loaded only by this command.
 */
import { Args, parseUint, UsageError } from './args';
import type { Session } from './session';

interface AgentArgs {
  config?: string;
  once: boolean;
  prune: boolean;
  metrics?: { host: string; port: number };
  concurrency?: number;
  timeoutMs?: number;
}

const FLAGS = ['config', 'once', 'prune', 'metrics', 'concurrency', 'timeout'] as const;

function parseArgs(a: Args): AgentArgs {
  const r: AgentArgs = { once: false, prune: false };
  while (!a.empty) {
    const w = a.next() ?? '';
    const [name, inline] = w.startsWith('--') ? w.slice(2).split('=', 2) : [w, undefined];
    const flag = FLAGS.find((k) => k === name);
    if (flag === undefined) throw new UsageError(`agent: unknown option "${w}" (known: ${FLAGS.map((f) => `--${f}`).join(', ')})`);
    if (flag === 'once' || flag === 'prune') {
      r[flag] = true;
      continue;
    }
    const value = inline ?? a.next();
    if (value === undefined) throw new UsageError(`agent: --${flag} needs a value`);
    if (flag === 'config') r.config = value;
    else if (flag === 'metrics') {
      const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value);
      const port = m ? parseUint(m[3]) : undefined;
      if (!m || port === undefined || port > 65535) throw new UsageError(`agent: --metrics expects HOST:PORT (such as 127.0.0.1:9273), got "${value}"`);
      r.metrics = { host: m[1] ?? (m[2] || '127.0.0.1'), port };
    } else {
      const n = parseUint(value);
      if (n === undefined || (flag === 'concurrency' && n < 1)) throw new UsageError(`agent: --${flag}: "${value}" is not a number or not within range`);
      if (flag === 'concurrency') r.concurrency = n;
      else r.timeoutMs = n;
    }
  }
  if (r.config === undefined) throw new UsageError('agent: --config FILE is expected (the desired state, in apply\'s format)');
  return r;
}

export async function agentCmd(s: Session, a: Args): Promise<void> {
  const o = parseArgs(a);
  const { Agent, agentLogger } = await import('../agent/index.js');
  const dl = await s.devlink();
  const logger = agentLogger(s.io.stdout as NodeJS.WritableStream & { isTTY?: boolean });
  // SIGTERM/SIGINT is heard from here on: one during the first convergence lets it finish
  // (or roll back) and then stops, as one later does (Node's default would end the process
  // in the middle of a create)
  const stop = s.stopSignal();
  try {
    const agent = await Agent.start({
      config: o.config!, devlink: dl, logger, prune: o.prune, sysfsRoot: await s.sysfsRoot(),
      ...(o.metrics ? { metrics: o.metrics } : {}), ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
      ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    });
    if (o.metrics) logger.info({ url: agent.metricsUrl }, 'serving /metrics and /healthz');
    if (o.once) {
      // a signal here interrupts: the program ends with 130/143 once the agent has stopped
      await Promise.race([agent.idle(), aborted(stop.signal)]);
      const st = agent.stats();
      await agent.stop();
      const off = st.desired - st.converged;
      if (off > 0 && !stop.signal.aborted) {
        throw new UsageError(`agent --once: ${off} of ${st.desired} sub-functions are not in their desired state (see the log)`);
      }
      return;
    }
    const hup = (): void => void agent.reload();
    process.on('SIGHUP', hup);
    // the agent runs until stopped: an in-process simulator (--sim) holds no handle of its
    // own, and without this the program ended as soon as the first convergence was done
    const keepAlive = setInterval(() => undefined, 1 << 30);
    s.listening();
    try {
      await aborted(stop.signal);
    } finally {
      clearInterval(keepAlive);
      process.off('SIGHUP', hup);
      await agent.stop();
    }
  } finally {
    stop.dispose();
  }
  // SIGTERM/SIGINT is how a service manager stops the agent: a clean stop is a success (0),
  // or systemd would mark the unit failed after every `systemctl stop`
  s.signalIsNormalEnd = true;
}

/** Resolves once the signal is aborted. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
