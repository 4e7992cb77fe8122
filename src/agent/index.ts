/** devlink-sf/agent: the node agent that keeps sub-functions as a file declares them. Re-exports only. */
export { Agent, drift, AGENT_KEYS } from './agent';
export type { AgentOptions, AgentStats } from './agent';
export { Backoff } from './backoff';
export type { BackoffOptions } from './backoff';
export { ConfigWatch, loadDesiredState } from './config';
export type { ConfigWatchHandlers } from './config';
export { agentLogger, humanLine } from './log';
export type { AgentLogger } from './log';
export { AgentMetrics, serveMetrics } from './metrics';
export type { AgentGauges } from './metrics';
