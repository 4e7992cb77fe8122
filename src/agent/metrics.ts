/**
 * What the people who run the agent read: Prometheus metrics (prom-client, on a registry
 * of the agent's own, so an embedding program's default registry is left alone) and an
 * optional local HTTP endpoint serving /metrics and /healthz.
 */
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry } from 'prom-client';

/** Where the gauges read their values when scraped. */
export interface AgentGauges {
  /** SFs declared. */
  desired(): number;
  /** Declared SFs present. */
  present(): number;
  /** Declared SFs converged. */
  converged(): number;
  /** Resyncs of the port watch. */
  resyncs(): number;
  /** The last error of each SF still failing. */
  lastErrors(): Iterable<[string, string]>;
}

/** The agent's metrics on a registry of its own. */
export class AgentMetrics {
  /** The registry (prom-client): `registry.metrics()` is the text /metrics serves. */
  readonly registry = new Registry();
  /** devlink_sf_agent_reconciles_total, by result. */
  readonly reconciles: Counter<'result'>;
  /** devlink_sf_agent_failures_total. */
  readonly failures: Counter;
  /** devlink_sf_agent_config_reloads_total, by result. */
  readonly configReloads: Counter<'result'>;

  constructor(g: AgentGauges) {
    const r = [this.registry];
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({ name, help, registers: r, collect() { this.set(read()); } });
    };
    gauge('devlink_sf_agent_sfs_desired', 'Sub-functions the desired state declares.', () => g.desired());
    gauge('devlink_sf_agent_sfs_present', 'Declared sub-functions whose port exists.', () => g.present());
    gauge('devlink_sf_agent_sfs_converged', 'Declared sub-functions in their desired state.', () => g.converged());
    gauge('devlink_sf_agent_watch_resyncs', 'Times the port watch read every port again after lost notifications.', () => g.resyncs());
    new Gauge({
      name: 'devlink_sf_agent_sf_last_error', help: 'An SF whose last reconcile failed (value 1), with the error.', labelNames: ['sf', 'error'], registers: r,
      collect() {
        this.reset();
        for (const [sf, error] of g.lastErrors()) this.set({ sf, error: error.slice(0, 200) }, 1);
      },
    });
    this.reconciles = new Counter({
      name: 'devlink_sf_agent_reconciles_total', help: 'Reconciles of one SF, by result (changed, unchanged, error).', labelNames: ['result'], registers: r,
    });
    this.failures = new Counter({ name: 'devlink_sf_agent_failures_total', help: 'Failed reconciles.', registers: r });
    this.configReloads = new Counter({
      name: 'devlink_sf_agent_config_reloads_total', help: 'Reads of the desired-state file after the first, by result (applied, invalid).',
      labelNames: ['result'], registers: r,
    });
  }

  /** The metrics in Prometheus text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** Serve /metrics and /healthz on `host:port` (port 0: any free one). */
export async function serveMetrics(
  m: AgentMetrics, healthy: () => { ok: boolean; why?: string }, host: string, port: number,
): Promise<{
  /** The HTTP server (close() it to stop). */
  server: Server;
  /** Where it listens: http://127.0.0.1:9273. */
  url: string;
}> {
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (url === '/metrics') {
      m.text().then((body) => {
        res.writeHead(200, { 'content-type': m.registry.contentType }).end(body);
      }, (e: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e));
      });
      return;
    }
    if (url === '/healthz') {
      const h = healthy();
      res.writeHead(h.ok ? 200 : 503, { 'content-type': 'text/plain' }).end(h.ok ? 'ok\n' : `${h.why ?? 'unhealthy'}\n`);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  return { server, url: `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` };
}
