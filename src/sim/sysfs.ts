/**
 * A sysfs tree kept under a directory of the caller's choosing, shaped like the parts of
 * /sys that tie an SF's devlink port to its auxiliary device, netdev and RDMA device:
 *
 *   <root>/devices/pci0000:00/<PF's PCI address>/mlx5_core.sf.N/sfnum        "88\n"
 *   .../mlx5_core.sf.N/mlx5_core.eth.N/net/<netdev>/{ifindex,address}
 *   .../mlx5_core.sf.N/mlx5_core.rdma.N/infiniband/<mlx5_K>/
 *   <root>/bus/auxiliary/devices/mlx5_core.sf.N -> ../../../devices/pci0000:00/<pci>/mlx5_core.sf.N
 *   <root>/class/net/<netdev>            -> the netdev's directory above
 *   <root>/class/infiniband/<mlx5_K>     -> the RDMA device's directory above
 *
 * On 'current' an mlx5 SF is probed light: its directory holds the sfnum file only until
 * a reload with enable_eth / enable_rdma adds the eth and RDMA devices.
 *
 * An ice SF (ice_sf_eth.c) differs: its auxiliary device ice.sf.N has no sfnum file, and
 * its netdev's parent is the PF's PCI device (SET_NETDEV_DEV(netdev, &pdev->dev)):
 *
 *   <root>/devices/pci0000:00/<PF's PCI address>/ice.sf.N/
 *   <root>/devices/pci0000:00/<PF's PCI address>/net/<netdev>/{ifindex,address}
 *
 * As on a real system, the auxiliary bus entry is a link into the PF's device
 * directory, so the PF an SF belongs to can be read from the link's target. Entries
 * appear when the SF attaches and go when its auxiliary device is removed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Netdev } from './model';

function macString(mac: Buffer): string {
  return [...mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export class Sysfs {
  constructor(readonly root: string) {
    fs.mkdirSync(path.join(root, 'bus', 'auxiliary', 'devices'), { recursive: true });
    fs.mkdirSync(path.join(root, 'class', 'net'), { recursive: true });
    fs.mkdirSync(path.join(root, 'class', 'infiniband'), { recursive: true });
  }

  /** The auxiliary bus entry of a device (a link to its directory). */
  auxDir(name: string): string {
    return path.join(this.root, 'bus', 'auxiliary', 'devices', name);
  }

  /** The device directory of an SF's auxiliary device, below its PF's. */
  private deviceDir(pci: string, name: string): string {
    return path.join(this.root, 'devices', 'pci0000:00', pci, name);
  }

  /** An mlx5 SF's auxiliary device with its sfnum file. */
  addSfAux(name: string, pci: string, sfnum: number): void {
    const dir = this.deviceDir(pci, name);
    fs.mkdirSync(dir, { recursive: true });
    this.link(this.auxDir(name), dir);
    fs.writeFileSync(path.join(dir, 'sfnum'), `${sfnum}\n`);
  }

  /** Its eth auxiliary device mlx5_core.eth.N with the netdev. */
  addSfNet(name: string, pci: string, id: number, netdev: Netdev, mac: Buffer): void {
    const net = path.join(this.deviceDir(pci, name), `mlx5_core.eth.${id}`, 'net', netdev.name);
    fs.mkdirSync(net, { recursive: true });
    fs.writeFileSync(path.join(net, 'ifindex'), `${netdev.ifindex}\n`);
    fs.writeFileSync(path.join(net, 'address'), `${macString(mac)}\n`);
    this.link(path.join(this.root, 'class', 'net', netdev.name), net);
  }

  /** Its RDMA auxiliary device mlx5_core.rdma.N with the RDMA device. */
  addSfRdma(name: string, pci: string, id: number, rdma: string): void {
    const ib = path.join(this.deviceDir(pci, name), `mlx5_core.rdma.${id}`, 'infiniband', rdma);
    fs.mkdirSync(ib, { recursive: true });
    this.link(path.join(this.root, 'class', 'infiniband', rdma), ib);
  }

  /** The eth and RDMA auxiliary devices gone (a reload, or the SF's removal). */
  removeSfNet(name: string, pci: string, netdev: Netdev | undefined, rdma: string | undefined): void {
    if (netdev) fs.rmSync(path.join(this.root, 'class', 'net', netdev.name), { force: true });
    if (rdma) fs.rmSync(path.join(this.root, 'class', 'infiniband', rdma), { force: true });
    const dir = this.deviceDir(pci, name);
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir)) {
      if (/^mlx5_core\.(eth|rdma)\.\d+$/.test(e)) fs.rmSync(path.join(dir, e), { recursive: true, force: true });
    }
  }

  removeSfAux(name: string, pci: string): void {
    fs.rmSync(this.auxDir(name), { force: true });
    fs.rmSync(this.deviceDir(pci, name), { recursive: true, force: true });
  }

  /** An auxiliary device without an sfnum file, its netdev below the PF (ice). */
  addPlainSf(name: string, pci: string, netdev: { ifindex: number; name: string }, mac: Buffer): void {
    const dir = this.deviceDir(pci, name);
    fs.mkdirSync(dir, { recursive: true });
    this.link(this.auxDir(name), dir);
    const net = this.deviceDir(pci, path.join('net', netdev.name));
    fs.mkdirSync(net, { recursive: true });
    fs.writeFileSync(path.join(net, 'ifindex'), `${netdev.ifindex}\n`);
    fs.writeFileSync(path.join(net, 'address'), `${macString(mac)}\n`);
    this.link(path.join(this.root, 'class', 'net', netdev.name), net);
  }

  removePlainSf(name: string, pci: string, netdev: { name: string }): void {
    fs.rmSync(path.join(this.root, 'class', 'net', netdev.name), { force: true });
    fs.rmSync(this.deviceDir(pci, path.join('net', netdev.name)), { recursive: true, force: true });
    fs.rmSync(this.auxDir(name), { force: true });
    fs.rmSync(this.deviceDir(pci, name), { recursive: true, force: true });
  }

  private link(at: string, target: string): void {
    fs.rmSync(at, { force: true });
    fs.symlinkSync(path.relative(path.dirname(at), target), at);
  }
}
