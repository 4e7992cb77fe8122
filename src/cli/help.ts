/**
 * --help for every command: usage in iproute2's notation, what the command does, and
 * examples. Keyed by the command's path ("port function rate set").
 */

const D = 'pci/0000:06:00.0';

const TOP = `Usage: devlink-sf [ OPTIONS ] OBJECT { COMMAND | help }
       devlink-sf [ OPTIONS ] -b FILE
where  OBJECT := { dev | port | monitor | sf | apply | genl | demo }
       OPTIONS := { -j[son] | -p[retty] | -s[tatistics] | -i[ec] | -f[orce] | -N[etns] NETNS |
                    --family NAME | --sim | --sim-config FILE | --sysfs DIR | -V | --version | -h | --help }

Manage devlink sub-functions (mlx5 SFs) over generic netlink. The dev, port and monitor
commands take iproute2's devlink arguments (words may be shortened: "p sh" is "port show")
and print what iproute2's devlink prints, in text and with -j as JSON. sf, apply, genl and
demo are this tool's own.

Options:
  -j, --json          JSON output            -p, --pretty      indented JSON (with -j)
  -s, --statistics    dev show: reload statistics
  -i, --iec           rates with IEC prefixes (Kibit)
  -b, --batch FILE    one command per line ("-" for stdin); stops at the first failure
  -f, --force         with -b: go on after a failure
  -N, --Netns NETNS   open the socket in /var/run/netns/NETNS (or a path such as /proc/PID/ns/net)
  --family NAME       the devlink family's name (e.g. mlxdevm); default devlink
  --sim               run on an in-process simulator: two mlx5 PFs, ${D} (pfnum 0)
                      and pci/0000:06:00.1 (pfnum 1), in legacy mode; with -b, one simulator
                      for the whole batch
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

const HELP: Record<string, string> = {
  '': TOP,
  dev: `Usage: devlink-sf dev show [ DEV ]
       devlink-sf dev eswitch show DEV
       devlink-sf dev eswitch set DEV [ mode { legacy | switchdev } ]
                              [ inline-mode { none | link | network | transport } ]
                              [ encap-mode { none | basic } ]
       devlink-sf dev info [ DEV ]
       devlink-sf dev param show [ DEV [ name PARAMETER ] ]
       devlink-sf dev param set DEV name PARAMETER value VALUE cmode { runtime | driverinit | permanent }
       devlink-sf dev reload DEV [ action { driver_reinit | fw_activate } ] [ limit no_reset ]

DEV is a devlink handle, BUS/DEVICE: ${D}.

Examples:
  devlink-sf dev show
  devlink-sf dev eswitch set ${D} mode switchdev
  devlink-sf -j dev info ${D}
`,
  'dev show': `Usage: devlink-sf dev show [ DEV ]

List the devlink instances (all, or one). With -s, each with its reload statistics.

Examples:
  devlink-sf dev show
  devlink-sf -j dev show ${D}
`,
  'dev eswitch': `Usage: devlink-sf dev eswitch show DEV
       devlink-sf dev eswitch set DEV [ mode { legacy | switchdev } ]
                              [ inline-mode { none | link | network | transport } ]
                              [ encap-mode { none | basic } ]

Show or set the eswitch of a PF. mlx5 sub-functions exist only in switchdev mode; going
back to legacy deletes them all.

Examples:
  devlink-sf dev eswitch show ${D}
  devlink-sf dev eswitch set ${D} mode switchdev
`,
  'dev eswitch show': `Usage: devlink-sf dev eswitch show DEV

Print the eswitch mode, inline mode and encapsulation mode of DEV.

Example:
  devlink-sf dev eswitch show ${D}
    ${D}: mode switchdev inline-mode none encap-mode basic
`,
  'dev eswitch set': `Usage: devlink-sf dev eswitch set DEV [ mode { legacy | switchdev } ]
                              [ inline-mode { none | link | network | transport } ]
                              [ encap-mode { none | basic } ]

Change the eswitch of DEV; at least one setting is needed.

Examples:
  devlink-sf dev eswitch set ${D} mode switchdev
  devlink-sf dev eswitch set ${D} encap-mode basic
`,
  'dev info': `Usage: devlink-sf dev info [ DEV ]

Print the driver, serial number and firmware versions (fixed, running, stored).

Examples:
  devlink-sf dev info ${D}
  devlink-sf -jp dev info
`,
  'dev param': `Usage: devlink-sf dev param show [ DEV [ name PARAMETER ] ]
       devlink-sf dev param set DEV name PARAMETER value VALUE cmode { runtime | driverinit | permanent }

Examples:
  devlink-sf dev param show ${D} name max_macs
  devlink-sf dev param set ${D} name max_macs value 64 cmode driverinit
`,
  'dev param show': `Usage: devlink-sf dev param show [ DEV [ name PARAMETER ] ]

Show the parameters of every device, of DEV, or one of them, with a value per
configuration mode.

Examples:
  devlink-sf dev param show
  devlink-sf dev param show ${D} name max_macs
`,
  'dev param set': `Usage: devlink-sf dev param set DEV name PARAMETER value VALUE cmode { runtime | driverinit | permanent }

Set a parameter. As iproute2 does, the parameter is read first: its type decides how VALUE
is read (a number, true/false, a string) and nothing is sent when it already has VALUE.

Examples:
  devlink-sf dev param set ${D} name max_macs value 64 cmode driverinit
  devlink-sf dev param set ${D} name enable_roce value false cmode driverinit
`,
  'dev reload': `Usage: devlink-sf dev reload DEV [ action { driver_reinit | fw_activate } ] [ limit no_reset ]

Reload the driver (or activate new firmware) and print what the kernel did.

Example:
  devlink-sf dev reload ${D} action driver_reinit
`,
  port: `Usage: devlink-sf port show [ DEV/PORT_INDEX | NETDEV | DEV ]
       devlink-sf port add DEV flavour pcisf pfnum PFNUM sfnum SFNUM [ controller CNUM ]
       devlink-sf port del DEV/PORT_INDEX
       devlink-sf port set DEV/PORT_INDEX type { eth | ib | auto }
       devlink-sf port split DEV/PORT_INDEX count COUNT
       devlink-sf port unsplit DEV/PORT_INDEX
       devlink-sf port function set DEV/PORT_INDEX [ hw_addr ADDR ] [ state { active | inactive } ]
                      [ roce { enable | disable } ] [ migratable { enable | disable } ]
                      [ ipsec_crypto { enable | disable } ] [ ipsec_packet { enable | disable } ]
                      [ max_io_eqs EQS ]
       devlink-sf port function rate { show | add | set | del } ...

A port is named BUS/DEVICE/INDEX (${D}/32768) or by its netdev name.

Examples:
  devlink-sf port show
  devlink-sf port add ${D} flavour pcisf pfnum 0 sfnum 88
  devlink-sf port function set ${D}/32768 hw_addr 00:00:00:00:88:88 state active
`,
  'port show': `Usage: devlink-sf port show [ DEV/PORT_INDEX | NETDEV | DEV ]

Show every port, one port (by handle or netdev name), or the ports of DEV (as iproute2
6.6 and later do).

Examples:
  devlink-sf port show
  devlink-sf port show ${D}
  devlink-sf -j port show ${D}/32768
  devlink-sf port show eth6
`,
  'port add': `Usage: devlink-sf port add DEV[/PORT_INDEX] flavour FLAVOUR pfnum PFNUM [ sfnum SFNUM ] [ controller CNUM ]

Add a port; mlx5 adds pcisf ports (sub-functions) in switchdev mode and picks the index
itself. The new port is printed as port show prints it (with -j as {"port":{...}}, where
iproute2 6.1 prints the inner object only).

Example:
  devlink-sf port add ${D} flavour pcisf pfnum 0 sfnum 88
    ${D}/32768: type eth netdev eth6 flavour pcisf controller 0 pfnum 0 sfnum 88 splittable false
      function:
        hw_addr 00:00:00:00:00:00 state inactive opstate detached
`,
  'port del': `Usage: devlink-sf port del DEV/PORT_INDEX

Delete a port (an SF port: deactivate it first, or use "sf destroy").

Example:
  devlink-sf port del ${D}/32768
`,
  'port set': `Usage: devlink-sf port set DEV/PORT_INDEX type { eth | ib | auto }

Example:
  devlink-sf port set ${D}/1 type eth
`,
  'port split': `Usage: devlink-sf port split DEV/PORT_INDEX count COUNT

Example:
  devlink-sf port split ${D}/1 count 4
`,
  'port unsplit': `Usage: devlink-sf port unsplit DEV/PORT_INDEX

Example:
  devlink-sf port unsplit ${D}/1
`,
  'port function': `Usage: devlink-sf port function set DEV/PORT_INDEX [ hw_addr ADDR ] [ state { active | inactive } ] ...
       devlink-sf port function rate { show | add | set | del } ...

Examples:
  devlink-sf port function set ${D}/32768 hw_addr 00:00:00:00:88:88 state active
  devlink-sf port function rate show
`,
  'port function set': `Usage: devlink-sf port function set DEV/PORT_INDEX [ hw_addr ADDR ] [ state { active | inactive } ]
                      [ roce { enable | disable } ] [ migratable { enable | disable } ]
                      [ ipsec_crypto { enable | disable } ] [ ipsec_packet { enable | disable } ]
                      [ max_io_eqs EQS ]

Configure the function behind a PF, VF or SF port. The kernel applies the hardware
address before the state. Capabilities and max_io_eqs need a newer kernel (6.2+) and an
inactive function. The address is checked before anything is sent (six octets, unicast).

Examples:
  devlink-sf port function set ${D}/32768 hw_addr 00:00:00:00:88:88 state active
  devlink-sf port function set ${D}/32768 state inactive
`,
  'port function rate': `Usage: devlink-sf port function rate show [ DEV | DEV/PORT_INDEX | DEV/NODE ]
       devlink-sf port function rate add DEV/NODE [ tx_share VAL ] [ tx_max VAL ]
                      [ tx_priority N ] [ tx_weight N ] [ parent NODE ]
       devlink-sf port function rate set { DEV/PORT_INDEX | DEV/NODE } [ tx_share VAL ] [ tx_max VAL ]
                      [ tx_priority N ] [ tx_weight N ] [ { parent NODE | noparent } ]
       devlink-sf port function rate del DEV/NODE

VAL is a rate: a number with a unit in bits (bit, kbit, mbit, gbit, tbit, Kibit, ...) or
bytes (Bps, KBps, MBps, ..., KiBps, ...) per second, case-insensitive; a bare number is
bits per second. Rates are shown in bits with SI prefixes (-i: IEC), and in bytes per
second with -j.

Examples:
  devlink-sf port function rate add ${D}/group1 tx_max 10gbit
  devlink-sf port function rate set ${D}/32768 tx_share 100mbit parent group1
  devlink-sf port function rate show
`,
  'port function rate show': `Usage: devlink-sf port function rate show [ DEV | DEV/PORT_INDEX | DEV/NODE ]

Examples:
  devlink-sf port function rate show
    ${D}/32768: type leaf tx_share 100Mbit parent group1
    ${D}/group1: type node tx_max 10Gbit
  devlink-sf -j port function rate show ${D}/group1
`,
  'port function rate add': `Usage: devlink-sf port function rate add DEV/NODE [ tx_share VAL ] [ tx_max VAL ]
                      [ tx_priority N ] [ tx_weight N ] [ parent NODE ]

Create a rate node (a group); NODE may not be a number.

Example:
  devlink-sf port function rate add ${D}/group1 tx_share 10mbit tx_max 1gbit
`,
  'port function rate set': `Usage: devlink-sf port function rate set { DEV/PORT_INDEX | DEV/NODE } [ tx_share VAL ] [ tx_max VAL ]
                      [ tx_priority N ] [ tx_weight N ] [ { parent NODE | noparent } ]

tx_share may not exceed tx_max; when only one of them is given the other is read first.

Examples:
  devlink-sf port function rate set ${D}/32768 tx_max 1gbit parent group1
  devlink-sf port function rate set ${D}/32768 noparent
`,
  'port function rate del': `Usage: devlink-sf port function rate del DEV/NODE

Example:
  devlink-sf port function rate del ${D}/group1
`,
  monitor: `Usage: devlink-sf monitor [ all | OBJECT-LIST ]
where  OBJECT-LIST := { dev | port | rate | param }

Print devlink events as the kernel sends them, as iproute2's devlink monitor does:
"[port,new] " then the port as port show prints it. Rate objects (which iproute2 6.1's
monitor does not print) come as "[rate,new] ${D}/32768: type leaf". With -j the
events form one JSON stream, {"mon":[{"command":"new","port":{...}},...]}, closed on
SIGINT or SIGTERM.

Examples:
  devlink-sf monitor
  devlink-sf -j monitor port
`,
  sf: `Usage: devlink-sf sf create DEV pfnum PFNUM sfnum SFNUM [ controller CNUM ] [ hw_addr ADDR ]
                  [ roce { enable | disable } ] [ migratable { enable | disable } ]
                  [ ipsec_crypto { enable | disable } ] [ ipsec_packet { enable | disable } ]
                  [ max_io_eqs EQS ] [ inactive ] [ nowait ] [ timeout MS ]
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
                  [ max_io_eqs EQS ] [ inactive ] [ nowait ] [ timeout MS ]

Add the SF port, configure its function, activate it and wait (event-driven) until the SF
driver has attached and its auxiliary device is in sysfs; then print it. "inactive" leaves
it configured but inactive; "nowait" activates without waiting. When a step fails after
the port was added, the port is deleted again and the error names the step.

Examples:
  devlink-sf sf create ${D} pfnum 0 sfnum 88 hw_addr 00:00:00:00:88:88
  devlink-sf -j sf create ${D} pfnum 0 sfnum 89 inactive
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
};

/** The help of `path`, or of the nearest command above it. */
export function helpFor(path: readonly string[]): string {
  for (let n = path.length; n >= 0; n--) {
    const h = HELP[path.slice(0, n).join(' ')];
    if (h !== undefined) return h;
  }
  return TOP;
}
