// Smoke test of the real-kernel tier's plumbing: runs only inside the User-Mode Linux
// guest that `npm run test:kernel` (scripts/uml/test-kernel.sh) boots with netdevsim.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { onKernel } from './helpers';

const NSIM_ID = process.env.DEVLINK_SF_NSIM_ID ?? '10';
const NSIM_PORTS = Number(process.env.DEVLINK_SF_NSIM_PORTS ?? '4');
const HANDLE = `netdevsim/netdevsim${NSIM_ID}`;

function devlinkJson(...args: string[]): Record<string, Record<string, unknown>> {
  const out = execFileSync('devlink', ['-j', ...args], { encoding: 'utf8', timeout: 10_000 });
  return JSON.parse(out) as Record<string, Record<string, unknown>>;
}

describe(onKernel('kernel tier plumbing (User-Mode Linux + netdevsim)'), () => {
  before(function () {
    if (!existsSync(`/sys/bus/netdevsim/devices/netdevsim${NSIM_ID}`)) {
      throw new Error(
        `netdevsim${NSIM_ID} is missing: these tests run inside User-Mode Linux, through \`npm run test:kernel\``,
      );
    }
  });

  it('the guest runs the kernel the title says', () => {
    const release = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
    assert.match(release, new RegExp(`^${(process.env.DEVLINK_SF_UML_KERNEL ?? '6.1').replace('.', '\\.')}\\.`), release);
  });

  it('devlink -j dev show lists the netdevsim instance', () => {
    const devs = devlinkJson('dev', 'show');
    assert.ok(devs.dev, 'no "dev" key in devlink -j dev show');
    assert.ok(HANDLE in devs.dev, `${HANDLE} not in ${JSON.stringify(devs)}`);
  });

  it('devlink -j port show lists its physical ports', () => {
    const ports = devlinkJson('port', 'show').port ?? {};
    const physical = Object.entries(ports).filter(
      ([handle, port]) => handle.startsWith(`${HANDLE}/`) && (port as { flavour?: string }).flavour === 'physical',
    );
    assert.equal(physical.length, NSIM_PORTS, JSON.stringify(ports));
  });
});
