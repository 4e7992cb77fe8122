/**
 * --help texts of health and resource (iproute2's grammar).
 */

const P = 'auxiliary/mlx5_core.sf.4/65536';
const USAGE = `Usage: devlink-sf health show [ { DEV | DEV/PORT_INDEX } reporter REPORTER_NAME ]
       devlink-sf health recover { DEV | DEV/PORT_INDEX } reporter REPORTER_NAME
       devlink-sf health diagnose { DEV | DEV/PORT_INDEX } reporter REPORTER_NAME
       devlink-sf health test { DEV | DEV/PORT_INDEX } reporter REPORTER_NAME
       devlink-sf health dump show { DEV | DEV/PORT_INDEX } reporter REPORTER_NAME
       devlink-sf health dump clear { DEV | DEV/PORT_INDEX } reporter REPORTER_NAME
       devlink-sf health set { DEV | DEV/PORT_INDEX } reporter REPORTER_NAME
                             [ grace_period MSEC ]
                             [ auto_recover { true | false } ]
                             [ auto_dump    { true | false } ]
`;

const RESOURCE_USAGE = `Usage: devlink-sf resource show DEV
       devlink-sf resource set DEV path PATH size SIZE
`;

export const OBJECT_HELP: Readonly<Record<string, string>> = {
  region: `Usage: devlink-sf region show [ DEV/REGION ]
       devlink-sf region del DEV/REGION snapshot SNAPSHOT_ID
       devlink-sf region new DEV/REGION [ snapshot SNAPSHOT_ID ]
       devlink-sf region dump DEV/REGION snapshot SNAPSHOT_ID
       devlink-sf region read DEV/REGION snapshot SNAPSHOT_ID address ADDRESS length LENGTH

Memory regions a driver exposes (netdevsim's dummy, mlx4's cr-space; mlx5 has none) and
their snapshots: taken, listed, read as hex and deleted.
`,
  trap: `Usage: devlink-sf trap set DEV trap TRAP [ action { trap | drop | mirror } ]
       devlink-sf trap show [ DEV trap TRAP ]
       devlink-sf trap group set DEV group GROUP [ action { trap | drop | mirror } ]
                              [ policer POLICER ] [ nopolicer ]
       devlink-sf trap group show [ DEV group GROUP ]
       devlink-sf trap policer set DEV policer POLICER [ rate RATE ] [ burst BURST ]
       devlink-sf trap policer show DEV policer POLICER

Packet traps: what the device does with packets it drops or traps (mlx5: ingress_vlan_filter
and dmac_filter in group l2_drops, which can be set to trap outside switchdev mode). With -s,
each with its rx statistics.
`,
  'dev flash': `Usage: devlink-sf dev flash DEV file PATH [ component NAME ] [ overwrite SECTION ]

Flash a firmware file (PATH is looked up by the kernel under /lib/firmware) and show the
driver's progress as it comes: one line per step, with a percentage on a terminal.
SECTION is settings or identifiers (each may be given).

Example:
  devlink-sf dev flash pci/0000:06:00.0 file mlnx/fw-ConnectX6Dx.mfa2
`,
  resource: `${RESOURCE_USAGE}
A device's resources as a tree (size, occupancy, bounds, the dpipe tables that use each);
set changes a resource's size by its path from the top ("kvd/linear"), applied at the next
reload. mlx5 has no resources: its devices answer "Operation not supported".
`,
  health: `${USAGE}
Health reporters of devices and ports: their state (healthy, error), error and recovery
counts, and what they diagnose and dump. mlx5 has fw and fw_fatal on every device (an SF's
own included) and tx and rx on each netdev's port. "devlink-sf monitor health" prints each
error and recovery as it happens.

Examples:
  devlink-sf health show
  devlink-sf health diagnose ${P} reporter tx
  devlink-sf health set ${P} reporter tx grace_period 1000 auto_recover true
`,
  'health show': `Usage: devlink-sf health show [ { DEV | DEV/PORT_INDEX } reporter REPORTER_NAME ]

Every reporter, grouped by device and port, or one.
`,
  'health recover': `Usage: devlink-sf health recover { DEV | DEV/PORT_INDEX } reporter REPORTER_NAME

Run the reporter's recovery; nothing happens while it is healthy.
`,
  'health diagnose': `Usage: devlink-sf health diagnose { DEV | DEV/PORT_INDEX } reporter REPORTER_NAME

What the driver reports about the reporter's object now (for tx: each send queue with its
completion and event queues).
`,
  'health dump': `Usage: devlink-sf health dump show { DEV | DEV/PORT_INDEX } reporter REPORTER_NAME
       devlink-sf health dump clear { DEV | DEV/PORT_INDEX } reporter REPORTER_NAME

The dump stored at the last error (one is taken now if none is stored), or forget it.
`,
  'health set': `${USAGE.split('\n').slice(6).join('\n').replace(/^ {7}devlink-sf/, 'Usage: devlink-sf')}
grace_period: the least time between two automatic recoveries, in ms; auto_recover and
auto_dump: whether an error is recovered and dumped without being asked.
`,
};
