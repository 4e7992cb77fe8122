/**
 * --help for every command: usage in iproute2's notation, what the command does, and
 * examples. Keyed by the command's path ("port function rate set").
 */
import { DEVLINK_HELP } from './help-devlink';
import { OWN_HELP } from './help-own';
import { OBJECT_HELP } from './help-objects';

const D = 'pci/0000:06:00.0';

const TOP = `Usage: devlink-sf [ OPTIONS ] OBJECT { COMMAND | help }
       devlink-sf [ OPTIONS ] -b FILE
where  OBJECT := { dev | port | health | resource | region | trap | monitor | sf | apply | agent | genl | demo | sim }
       OPTIONS := { -j[son] | -p[retty] | -s[tatistics] | -i[ec] | -f[orce] | -N[etns] NETNS |
                    --family NAME | --sim | --sim-config FILE | --sysfs DIR | -V | --version | -h | --help }

Manage devlink sub-functions (mlx5 SFs) over generic netlink. The dev, port, health,
resource, region, trap and monitor commands take iproute2's devlink arguments (words may
be shortened: "p sh" is "port show") and print what iproute2's devlink prints, in text and
with -j as JSON. sf, apply, agent, genl, demo and sim are this tool's own.

Options:
  -j, --json          JSON output            -p, --pretty      indented JSON (with -j)
  -s, --statistics    dev show: reload statistics; trap: rx statistics
  -i, --iec           rates with IEC prefixes (Kibit)
  -b, --batch FILE    one command per line ("-" for stdin); stops at the first failure
  -f, --force         with -b: go on after a failure
  -N, --Netns NETNS   open the socket in /var/run/netns/NETNS (or a path such as /proc/PID/ns/net)
  --family NAME       the devlink family's name (e.g. mlxdevm); default devlink
  --sim               run on an in-process simulator: two mlx5 PFs, ${D} (pfnum 0)
                      and pci/0000:06:00.1 (pfnum 1), in legacy mode; with -b, one simulator
                      for the whole batch; the background one, if "sim start" started it
  --sim-config FILE   the simulator's devices and timings (YAML or JSON)
  --sysfs DIR         the sysfs root for sf and apply (default /sys, or the simulator's)
  -V, --version       print the version

Examples:
  devlink-sf demo --sim
  devlink-sf --sim dev show
  devlink-sf -jp port show ${D}/32768
  devlink-sf sf create ${D} pfnum 0 sfnum 88 hw_addr 00:00:00:00:88:88
  devlink-sf apply examples/sfs.yaml --dry-run

Run "devlink-sf OBJECT --help" for an object's commands.
`;

const HELP: Readonly<Record<string, string>> = { '': TOP, ...DEVLINK_HELP, ...OBJECT_HELP, ...OWN_HELP };

/** The help of `path`, or of the nearest command above it. */
export function helpFor(path: readonly string[]): string {
  for (let n = path.length; n >= 0; n--) {
    const h = HELP[path.slice(0, n).join(' ')];
    if (h !== undefined) return h;
  }
  return TOP;
}
