/**
 * --help texts of the commands shared with iproute2's devlink: dev, port, monitor.
 */

const D = 'pci/0000:06:00.0';

export const DEVLINK_HELP: Readonly<Record<string, string>> = {
  dev: `Usage: devlink-sf dev show [ DEV ]
       devlink-sf dev eswitch show DEV
       devlink-sf dev eswitch set DEV [ mode { legacy | switchdev } ]
                              [ inline-mode { none | link | network | transport } ]
                              [ encap-mode { none | basic } ]
       devlink-sf dev info [ DEV ]
       devlink-sf dev param show [ DEV [ name PARAMETER ] ]
       devlink-sf dev param set DEV name PARAMETER value VALUE cmode { runtime | driverinit | permanent }
       devlink-sf dev reload DEV [ netns { PID | NAME | PATH } ]
                                 [ action { driver_reinit | fw_activate } ] [ limit no_reset ]

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
  'dev reload': `Usage: devlink-sf dev reload DEV [ netns { PID | NAME | PATH } ]
                                 [ action { driver_reinit | fw_activate } ] [ limit no_reset ]

Reload the driver (or activate new firmware) and print what the kernel did. With netns,
the instance moves into that network namespace (a name in /var/run/netns, a path such
as /proc/PID/ns/net, or a PID) with the netdevs and RDMA devices its driver re-creates:
this is how an SF goes into a container.

Examples:
  devlink-sf dev reload ${D} action driver_reinit
  devlink-sf dev reload auxiliary/mlx5_core.sf.4 netns ns1
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
};
