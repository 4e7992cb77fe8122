#!/usr/bin/python3
"""Guest side of scripts/uml/capture.sh: record what iproute2's devlink sends and what
the kernel answers, over nlmon, for the commands the library must reproduce.

Runs inside the User-Mode Linux guest as root, with netdevsim10 (4 ports) created by
run.sh, and writes <out>/<name>.json and <out>/pcap/<name>.pcap. Standard library only.
--set base (fixtures/kernel) is the core's answers on a stock netdevsim; --set sf
(fixtures/kernel-sf) is the sub-function life cycle on netdevsim's SF ports
(scripts/uml/patches/6.1/netdevsim-sf.patch); --set rest (fixtures/kernel-rest) is
reload into a namespace, health reporters, flash, resources, regions and traps on
netdevsim (what the kernel selftests of tools/testing/selftests/drivers/net/netdevsim/
use: its dummy reporter and region, its resources, traps and policers).
Not meant to be run on the host (it would need devlink and netdevsim there).
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nlpcap  # noqa: E402

DEV = "netdevsim/netdevsim10"
SYSDEV = "/sys/bus/netdevsim/devices/netdevsim10"
KNOBS = "/sys/kernel/debug/netdevsim/netdevsim10"
NLMON = "nlmon0"


def run(argv, check=False):
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if check and p.returncode != 0:
        raise SystemExit("capture: %s failed (%d): %s" % (" ".join(argv), p.returncode, p.stderr.strip()))
    return p


def devlink_json(*args):
    p = run(["devlink", "-j"] + list(args))
    if p.returncode != 0:
        return {"exitCode": p.returncode, "stderr": p.stderr}
    return json.loads(p.stdout)


def sysfs_write(path, value):
    with open(path, "w") as f:
        f.write(value)


class Tcpdump:
    """tcpdump on nlmon0, started and stopped around one step."""

    def __init__(self, pcap):
        self.pcap = pcap
        self.proc = subprocess.Popen(
            # -B: a 16 MiB capture buffer, for a region's dump (32 KiB of data in many messages)
            ["tcpdump", "-i", NLMON, "-U", "--immediate-mode", "-s", "0", "-B", "16384", "-Z", "root",
             "-w", pcap],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        # tcpdump says "listening on nlmon0, ..." once the socket is bound.
        line = self.proc.stderr.readline()
        if "listening on" not in line:
            self.proc.kill()
            raise SystemExit("capture: tcpdump did not start: %s" % line.strip())
        self.stats = ""

    def stop(self):
        time.sleep(0.3)  # let the last replies reach the tap
        self.proc.send_signal(signal.SIGINT)
        self.stats = self.proc.stderr.read()
        self.proc.wait(timeout=20)
        if "0 packets dropped by kernel" not in self.stats:
            raise SystemExit("capture: tcpdump dropped packets: %s" % self.stats.strip())
        return self.stats


def state_snapshot(extra=()):
    snap = {}
    for args in [("dev", "show"), ("port", "show"), ("dev", "eswitch", "show", DEV)] + list(extra):
        snap["devlink -j " + " ".join(args)] = devlink_json(*args)
    return snap


class Capturer:
    def __init__(self, out):
        self.out = out
        os.makedirs(os.path.join(out, "pcap"), exist_ok=True)
        self.kernel = os.uname().release
        self.iproute2 = run(["devlink", "-V"], check=True).stdout.strip()
        self.made = []

    def write(self, name, doc):
        with open(os.path.join(self.out, name + ".json"), "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        self.made.append(name)
        sys.stdout.write("captured %-34s %s\n" % (name, doc.get("outcome", "")))
        sys.stdout.flush()

    def document(self, name, command, made, pcap_name, steps, ctrl_only=False, extra_json=()):
        messages, families, linktype, skipped, rule = nlpcap.extract(
            os.path.join(self.out, "pcap", pcap_name + ".pcap"), ctrl_only=ctrl_only)
        errors = [m["summary"] for m in messages
                  if m["dir"] == "reply" and m["summary"].get("kind") == "error"]
        outcome = "ok"
        if errors:
            e = errors[-1]
            outcome = "errno %d%s" % (e["errno"], (": " + e["extack"]["MSG"]) if "MSG" in e.get("extack", {}) else "")
        doc = {
            "name": name,
            "command": command,
            "kernel": self.kernel,
            "iproute2": self.iproute2,
            "made": made,
            "pcap": "pcap/%s.pcap" % pcap_name,
            "linktype": linktype,
            "directionFrom": rule,
            "devlinkFamilyId": families.get("devlink", {}).get("id"),
            "families": families,
            "outcome": outcome,
            "steps": steps,
            "skippedOtherProtocols": skipped,
            "messages": messages,
            "devlinkJson": state_snapshot(extra_json),
        }
        self.write(name, doc)
        return doc

    def one(self, name, argv, note="", extra_json=(), also_ctrl=None):
        """Capture one devlink invocation."""
        pcap = os.path.join(self.out, "pcap", name + ".pcap")
        t = Tcpdump(pcap)
        p = run(argv)
        stats = t.stop()
        command = " ".join(argv)
        made = ("inside UML (%s) with netdevsim10 (4 ports): `tcpdump -i %s -U --immediate-mode -s 0 -w "
                "pcap/%s.pcap` around `%s`%s; tcpdump: %s"
                % (self.kernel, NLMON, name, command, (" " + note) if note else "",
                   " ".join(stats.split())))
        step = {"command": command, "exitCode": p.returncode, "stdout": p.stdout, "stderr": p.stderr}
        self.document(name, command, made, name, [step], extra_json=extra_json)
        if also_ctrl:
            self.document(also_ctrl, command + " (only the genl controller exchange kept)",
                          made + "; messages filtered with nlpcap.py --ctrl-only", name, [step],
                          ctrl_only=True)
        return p

    def sequence(self, name, steps, note=""):
        """Capture several steps (commands or sysfs writes) with `devlink monitor` listening."""
        pcap = os.path.join(self.out, "pcap", name + ".pcap")
        t = Tcpdump(pcap)
        mon = subprocess.Popen(["devlink", "monitor", "dev", "port"], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)  # the monitor looks the family up and joins the group first
        done = []
        for step in steps:
            if step[0] == "sysfs":
                _, path, value = step
                sysfs_write(path, value)
                done.append({"command": "echo %s > %s" % (value, path), "exitCode": 0})
            else:
                p = run(step)
                done.append({"command": " ".join(step), "exitCode": p.returncode,
                             "stdout": p.stdout, "stderr": p.stderr})
            time.sleep(0.3)
        time.sleep(0.5)
        mon.send_signal(signal.SIGINT)
        mon_out, mon_err = mon.communicate(timeout=20)
        stats = t.stop()
        done.insert(0, {"command": "devlink monitor dev port (in the background, stopped with SIGINT)",
                        "stdout": mon_out, "stderr": mon_err})
        command = "; ".join(s["command"] for s in done[1:])
        made = ("inside UML (%s) with netdevsim10 (4 ports): `tcpdump -i %s -U --immediate-mode -s 0 -w "
                "pcap/%s.pcap` while `devlink monitor dev port` listened and these ran: %s%s; tcpdump: %s"
                % (self.kernel, NLMON, name, command, (" " + note) if note else "",
                   " ".join(stats.split())))
        self.document(name, command, made, name, done)


def first_port(flavour):
    ports = devlink_json("port", "show").get("port", {})
    for handle, port in sorted(ports.items(), key=lambda kv: int(kv[0].rsplit("/", 1)[1])):
        if handle.startswith(DEV + "/") and port.get("flavour") == flavour:
            return handle
    raise SystemExit("capture: no %s port on %s" % (flavour, DEV))


def capture_base(c):
    port0 = first_port("physical")

    # Legacy mode, four physical ports.
    c.one("dev-show", ["devlink", "dev", "show"], also_ctrl="ctrl-getfamily-devlink")
    c.one("port-show-dump", ["devlink", "port", "show"])
    c.one("port-show-one", ["devlink", "port", "show", port0], extra_json=[("port", "show", port0)])
    c.one("eswitch-show", ["devlink", "dev", "eswitch", "show", DEV])
    c.one("port-add-pcisf", ["devlink", "port", "add", DEV, "flavour", "pcisf", "pfnum", "0", "sfnum", "88"],
          note="(netdevsim has no port_new)")
    c.one("port-add-pcisf-controller",
          ["devlink", "port", "add", DEV, "flavour", "pcisf", "pfnum", "0", "sfnum", "88", "controller", "1"],
          note="(netdevsim has no port_new)")
    c.one("port-del", ["devlink", "port", "del", port0], note="(netdevsim has no port_del)")
    c.one("port-function-set-hwaddr",
          ["devlink", "port", "function", "set", port0, "hw_addr", "00:00:00:00:88:88"],
          note="(netdevsim has no port function ops)")
    c.one("port-function-set-state",
          ["devlink", "port", "function", "set", port0, "state", "active"],
          note="(netdevsim has no port function ops)")
    c.one("port-function-set-hwaddr-state",
          ["devlink", "port", "function", "set", port0, "hw_addr", "00:00:00:00:88:88", "state", "active"],
          note="(netdevsim has no port function ops)")

    # Switchdev mode, then two VFs.
    c.one("eswitch-set-switchdev", ["devlink", "dev", "eswitch", "set", DEV, "mode", "switchdev"])
    sysfs_write(SYSDEV + "/sriov_numvfs", "2")
    c.one("port-show-dump-switchdev", ["devlink", "port", "show"],
          note="(switchdev mode, after `echo 2 > %s/sriov_numvfs`)" % SYSDEV)
    vf0 = first_port("pcivf")
    c.one("port-show-vf", ["devlink", "port", "show", vf0], note="(switchdev mode, 2 VFs)",
          extra_json=[("port", "show", vf0)])
    c.one("port-function-set-hwaddr-vf",
          ["devlink", "port", "function", "set", vf0, "hw_addr", "00:00:00:00:88:88"],
          note="(switchdev mode, 2 VFs; netdevsim has no port function ops)")
    c.one("eswitch-set-legacy", ["devlink", "dev", "eswitch", "set", DEV, "mode", "legacy"],
          note="(from switchdev with 2 VFs: their ports go away)")
    sysfs_write(SYSDEV + "/sriov_numvfs", "0")

    # Notifications, as a listener of the `config` group receives them.
    c.sequence("notify-eswitch-vfs", [
        ["devlink", "dev", "eswitch", "set", DEV, "mode", "switchdev"],
        ("sysfs", SYSDEV + "/sriov_numvfs", "2"),
        ["devlink", "dev", "eswitch", "set", DEV, "mode", "legacy"],
        ("sysfs", SYSDEV + "/sriov_numvfs", "0"),
    ])


def capture_sf(c):
    """Sub-functions on netdevsim's SF ports (needs netdevsim-sf.patch in the kernel)."""
    if not os.path.exists(KNOBS + "/sf_free_delay_ms"):
        raise SystemExit("capture: %s/sf_free_delay_ms is missing: a kernel without netdevsim-sf.patch" % KNOBS)
    sf = DEV + "/32768"
    add = ["devlink", "port", "add", DEV, "flavour", "pcisf", "pfnum", "0", "sfnum", "88"]
    run(["devlink", "dev", "eswitch", "set", DEV, "mode", "switchdev"], check=True)
    # long enough for each capture to see the intermediate opstate and the held sfnum
    sysfs_write(KNOBS + "/sf_attach_delay_ms", "1000")
    sysfs_write(KNOBS + "/sf_detach_delay_ms", "1000")
    sysfs_write(KNOBS + "/sf_free_delay_ms", "3000")
    c.one("sf-port-add", add, note="(switchdev mode)", extra_json=[("port", "show", sf)])
    c.one("sf-port-function-set", ["devlink", "port", "function", "set", sf, "hw_addr", "00:00:00:00:88:88",
                                   "state", "active"], extra_json=[("port", "show", sf)])
    time.sleep(1.2)
    c.one("sf-port-show-attached", ["devlink", "port", "show", sf], note="(1.2 s after state active)",
          extra_json=[("port", "show", sf)])
    aux = [h for h in devlink_json("dev", "show").get("dev", {}) if h.startswith("auxiliary/")]
    if len(aux) != 1:
        raise SystemExit("capture: expected one auxiliary devlink instance, found %r" % aux)
    c.one("sf-aux-port-show", ["devlink", "port", "show", aux[0] + "/0"],
          note="(the SF's own instance, while attached)", extra_json=[("port", "show", aux[0] + "/0")])
    c.one("sf-port-function-set-inactive", ["devlink", "port", "function", "set", sf, "state", "inactive"],
          extra_json=[("port", "show", sf)])
    c.one("sf-port-function-set-active-busy", ["devlink", "port", "function", "set", sf, "state", "active"],
          note="(right after state inactive: still attached)", extra_json=[("port", "show", sf)])
    c.one("sf-port-del", ["devlink", "port", "del", sf])
    c.one("sf-port-add-eexist", add, note="(right after port del: the sfnum is still being freed)")
    c.one("sf-port-add-no-sfnum", ["devlink", "port", "add", DEV, "flavour", "pcisf", "pfnum", "0"])
    c.one("sf-port-add-pfnum", ["devlink", "port", "add", DEV, "flavour", "pcisf", "pfnum", "1", "sfnum", "89"])
    time.sleep(3.2)
    sysfs_write(KNOBS + "/sf_attach_delay_ms", "100")
    sysfs_write(KNOBS + "/sf_detach_delay_ms", "100")
    sysfs_write(KNOBS + "/sf_free_delay_ms", "100")
    c.sequence("sf-notify-add-set-del", [
        add,
        ["devlink", "port", "function", "set", sf, "hw_addr", "00:00:00:00:88:88", "state", "active"],
        ["devlink", "port", "del", sf],
    ], note="(switchdev mode; delays 100 ms)")
    run(["devlink", "dev", "eswitch", "set", DEV, "mode", "legacy"], check=True)


def capture_rest(c):
    """Reload into a namespace, health, flash, resources, regions, traps (stock netdevsim)."""
    ns = "dlsf-cap"
    reporter = [DEV, "reporter", "dummy"]
    region = DEV + "/dummy"

    # reload into a namespace by name; back again from inside it (not captured)
    run(["ip", "netns", "add", ns], check=True)
    c.one("reload-netns", ["devlink", "dev", "reload", DEV, "netns", ns],
          note="(after `ip netns add %s`; NETNS_FD is iproute2's descriptor of /var/run/netns/%s)" % (ns, ns))
    run(["ip", "netns", "exec", ns, "devlink", "dev", "reload", DEV, "netns", "1"], check=True)
    run(["ip", "netns", "del", ns], check=True)

    # health: netdevsim's "dummy" reporter
    c.one("health-show-dump", ["devlink", "health", "show"])
    c.one("health-show", ["devlink", "health", "show"] + reporter)
    c.one("health-recover", ["devlink", "health", "recover"] + reporter)
    c.one("health-diagnose", ["devlink", "health", "diagnose"] + reporter)
    c.one("health-dump-show", ["devlink", "health", "dump", "show"] + reporter,
          note="(no dump stored before: the kernel takes one)")
    c.one("health-dump-clear", ["devlink", "health", "dump", "clear"] + reporter)
    c.one("health-set", ["devlink", "health", "set"] + reporter +
          ["grace_period", "3600", "auto_recover", "false", "auto_dump", "false"])

    # flash: the core asks request_firmware() for the file first; netdevsim ignores its bytes
    fwdir = "/tmp/devlink-sf-capture-fw"
    os.makedirs(fwdir, exist_ok=True)
    with open(os.path.join(fwdir, "dummy"), "wb") as f:
        f.write(b"devlink-sf capture\n")
    fwpath = "/sys/module/firmware_class/parameters/path"
    if not os.path.exists(fwpath):
        raise SystemExit("capture: %s is missing: a kernel without FW_LOADER cannot flash" % fwpath)
    sysfs_write(fwpath, fwdir)
    c.one("flash", ["devlink", "dev", "flash", DEV, "file", "dummy"],
          note="(firmware_class.path %s holds the file; netdevsim's status notifications on)" % fwdir)

    # resources
    c.one("resource-show", ["devlink", "resource", "show", DEV])
    c.one("resource-set", ["devlink", "resource", "set", DEV, "path", "/IPv4/fib", "size", "96"],
          note="(iproute2 dumps the resources to find the path's id, then sets)")

    # regions: netdevsim's "dummy" region
    c.one("region-show-dump", ["devlink", "region", "show"])
    c.one("region-new", ["devlink", "region", "new", region, "snapshot", "25"])
    c.one("region-new-auto", ["devlink", "region", "new", region],
          note="(no id: the kernel picks one and answers with it)")
    c.one("region-show", ["devlink", "region", "show", region])
    c.one("region-dump", ["devlink", "region", "dump", region, "snapshot", "25"])
    c.one("region-read", ["devlink", "region", "read", region, "snapshot", "25", "address", "0", "length", "16"])
    c.one("region-del", ["devlink", "region", "del", region, "snapshot", "25"])

    # traps, groups, policers
    c.one("trap-show-dump", ["devlink", "trap", "show"])
    c.one("trap-show", ["devlink", "trap", "show", DEV, "trap", "ingress_vlan_filter"])
    c.one("trap-set", ["devlink", "trap", "set", DEV, "trap", "ingress_vlan_filter", "action", "trap"])
    c.one("trap-group-show-dump", ["devlink", "trap", "group", "show"])
    c.one("trap-group-show", ["devlink", "trap", "group", "show", DEV, "group", "l2_drops"])
    c.one("trap-group-set", ["devlink", "trap", "group", "set", DEV, "group", "l2_drops", "action", "drop"])
    c.one("trap-policer-show-dump", ["devlink", "trap", "policer", "show"])
    c.one("trap-policer-show", ["devlink", "trap", "policer", "show", DEV, "policer", "1"])
    c.one("trap-policer-set", ["devlink", "trap", "policer", "set", DEV, "policer", "1", "rate", "2000", "burst", "16"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--set", choices=["base", "sf", "rest"], default="base")
    args = ap.parse_args()
    if not os.path.isdir(SYSDEV):
        raise SystemExit("capture: %s is missing; run through scripts/uml/capture.sh" % SYSDEV)

    run(["ip", "link", "add", NLMON, "type", "nlmon"], check=True)
    run(["ip", "link", "set", NLMON, "up"], check=True)
    c = Capturer(args.out)
    {"base": capture_base, "sf": capture_sf, "rest": capture_rest}[args.set](c)

    run(["ip", "link", "del", NLMON])
    with open(os.path.join(args.out, "index.json"), "w") as f:
        json.dump({"kernel": c.kernel, "iproute2": c.iproute2, "fixtures": c.made}, f, indent=2)
        f.write("\n")
    print("captured %d fixtures" % len(c.made))


if __name__ == "__main__":
    main()
