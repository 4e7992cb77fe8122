/**
 * --help texts of this tool's own commands: sf, apply, genl, demo, sim.
 */

const D = 'pci/0000:06:00.0';

export const OWN_HELP: Readonly<Record<string, string>> = {
  sf: `Usage: devlink-sf sf create DEV pfnum PFNUM sfnum SFNUM [ controller CNUM ] [ hw_addr ADDR ]
                  [ roce { enable | disable } ] [ migratable { enable | disable } ]
                  [ ipsec_crypto { enable | disable } ] [ ipsec_packet { enable | disable } ]
                  [ max_io_eqs EQS ] [ param NAME VALUE ]... [ netns { NAME | PATH | PID } ]
                  [ inactive ] [ nowait ] [ timeout MS ]
       devlink-sf sf ensure (the arguments of create)
       devlink-sf sf destroy { DEV/PORT_INDEX | DEV pfnum PFNUM sfnum SFNUM [ controller CNUM ] } [ timeout MS ]
       devlink-sf sf list [ DEV ]

Sub-functions in one command each: the port, its function's settings, activation and the
wait until the SF driver has attached, or the way back.

Examples:
  devlink-sf sf create ${D} pfnum 0 sfnum 88 hw_addr 00:00:00:00:88:88
  devlink-sf sf list
  devlink-sf sf destroy ${D} pfnum 0 sfnum 88
`,
  'sf create': `Usage: devlink-sf sf create DEV pfnum PFNUM sfnum SFNUM [ controller CNUM ] [ hw_addr ADDR ]
                  [ roce { enable | disable } ] [ migratable { enable | disable } ]
                  [ ipsec_crypto { enable | disable } ] [ ipsec_packet { enable | disable } ]
                  [ max_io_eqs EQS ] [ param NAME VALUE ]... [ netns { NAME | PATH | PID } ]
                  [ inactive ] [ nowait ] [ timeout MS ]

Add the SF port, configure its function, activate it and wait (event-driven) until the SF
driver has attached and its auxiliary device is in sysfs; then print it. "inactive" leaves
it configured but inactive; "nowait" activates without waiting. When a step fails after
the port was added, the port is deleted again and the error names the step.
"param" sets a driverinit parameter of the SF's own devlink instance (for mlx5:
enable_eth, enable_rdma, enable_vnet; VALUE true/false, a number or a string) and
"netns" moves that instance with its netdev into a network namespace; both are applied
with one reload (driver_reinit) once the SF has attached, and the netdev is then looked
for in the namespace.

Examples:
  devlink-sf sf create ${D} pfnum 0 sfnum 88 hw_addr 00:00:00:00:88:88
  devlink-sf -j sf create ${D} pfnum 0 sfnum 89 inactive
  devlink-sf sf create ${D} pfnum 0 sfnum 90 param enable_rdma false netns ns1
`,
  'sf ensure': `Usage: devlink-sf sf ensure DEV pfnum PFNUM sfnum SFNUM [ the arguments of sf create ]

Idempotent create: an SF that exists is converged to the arguments (address, capabilities,
state) instead of failing; prints whether it was created, changed or unchanged.

Example:
  devlink-sf sf ensure ${D} pfnum 0 sfnum 88 hw_addr 00:00:00:00:88:88
`,
  'sf destroy': `Usage: devlink-sf sf destroy { DEV/PORT_INDEX | DEV pfnum PFNUM sfnum SFNUM [ controller CNUM ] } [ timeout MS ]

Deactivate the SF, wait until it is detached, and delete its port. An SF that does not
exist is not an error (nothing to destroy).

Examples:
  devlink-sf sf destroy ${D}/32768
  devlink-sf sf destroy ${D} pfnum 0 sfnum 88
`,
  'sf list': `Usage: devlink-sf sf list [ DEV ]

Each SF with its port, PF and SF numbers, hardware address, state and opstate, and what
the kernel made of it: the auxiliary device (mlx5_core.sf.N), its devlink instance, its
netdev and RDMA device, found under the sysfs root (--sysfs).

Examples:
  devlink-sf sf list
  devlink-sf -jp sf list ${D}
`,
  apply: `Usage: devlink-sf apply FILE [ --dry-run ] [ --prune ] [ --concurrency N ] [ --timeout MS ]

Make the SFs match a desired state (YAML or JSON; FILE "-" reads stdin):

  devices:
    ${D}:
      pfnum: 0                       # optional when the device has a PF port
      subfunctions:
        - sfnum: 88
          hw_addr: "00:00:00:00:88:88"
          state: active              # the default; or inactive
          caps: { roce: true }       # roce, migratable, ipsecCrypto, ipsecPacket
          max_io_eqs: 8

The plan (create, change, delete, unchanged) is printed as a table, then carried out with
at most N SFs at once (default 8), with a progress bar on a terminal and a line per item
otherwise. Applying the same file again changes nothing. --prune deletes the SFs of the
listed devices that the file does not name; --dry-run prints the plan only. When an item
fails the others still run, a summary names each failure and the exit status is 1.

Examples:
  devlink-sf apply examples/sfs.yaml --dry-run
  devlink-sf apply examples/sfs.yaml --prune --concurrency 4
  devlink-sf -j apply - < state.json
`,
  agent: `Usage: devlink-sf agent --config FILE [ --once ] [ --prune ] [ --metrics HOST:PORT ]
                        [ --concurrency N ] [ --timeout MS ]

Keep the SFs as FILE declares them (apply's format): converge, then repair whatever moves a
declared SF away from its desired state (a delete, a deactivation, a MAC change, a driver
reload) as the kernel's events show it, and follow edits of FILE (also a Kubernetes
ConfigMap's ..data swap) and SIGHUP; an invalid FILE is reported and the last good one kept.
A failing SF is retried with a growing delay while the others converge. --prune deletes the
SFs of the listed devices that FILE does not declare. One JSON line per action on stdout
(human lines on a terminal). --metrics serves /metrics (Prometheus) and /healthz on a local
address. SIGTERM or SIGINT: reconciles in progress finish, then it exits. --once converges a
single time; the exit status is 1 if an SF is not in its desired state.

Examples:
  devlink-sf agent --config /etc/devlink-sf/sfs.yaml --metrics 127.0.0.1:9273
  devlink-sf --sim agent --config examples/sfs.yaml --once
`,
  genl: `Usage: devlink-sf genl family NAME
       devlink-sf genl families

What the generic netlink controller says of a family (any kernel, no devlink needed): id,
version, header size, largest attribute, operations and multicast groups.

Examples:
  devlink-sf genl family nlctrl
  devlink-sf -jp genl families
`,
  'genl family': `Usage: devlink-sf genl family NAME

Examples:
  devlink-sf genl family devlink
  devlink-sf -j genl family nlctrl
`,
  'genl families': `Usage: devlink-sf genl families

Example:
  devlink-sf genl families
`,
  demo: `Usage: devlink-sf demo [ DEV ] [ --yes ]

A narrated sub-function lifecycle: the devices, DEV switched to switchdev, a monitor
printing events as they arrive, three SFs created at once (activated and waited for), the
SFs with their auxiliary devices, netdevs and RDMA devices, port show, a desired state
applied with its plan and applied again (nothing changes), teardown, and a summary.

Run it on the simulator. On a real machine it needs a devlink device, never switches an
eswitch mode without --yes and never deletes SFs it did not create.

Example:
  devlink-sf demo --sim
`,
  sim: `Usage: devlink-sf [ --sim-config FILE ] sim start
       devlink-sf sim stop
       devlink-sf sim [ status ]

A simulator that outlives one command: "start" runs it in the background on a real
netlink socket (root only) and keeps its state until "stop". Later commands find it
through its state file: with --sim at the well-known path ($TMPDIR/devlink-sf-sim-UID.json),
or without --sim when DEVLINK_SF_SIM names the file. "status" says whether one runs.

Examples:
  devlink-sf sim start
  export DEVLINK_SF_SIM=/tmp/devlink-sf-sim-0.json
  devlink-sf monitor            (in one shell)
  devlink-sf port add ${D} flavour pcisf pfnum 0 sfnum 88   (in another)
  devlink-sf sim stop
`,
};
