// The printers against iproute2 6.1's output for the same objects (text, JSON, pretty
// JSON), with objects built by hand: no kernel or simulator involved.
import assert from 'node:assert/strict';
import { formatRate, JsonWriter, Printer } from '../src/cli/output';
import { printDev, printEswitch, printInfo, printParam, printPort, printRate, printReload, monFooter, monHeader } from '../src/cli/print';
import type { DeviceInfo, DevlinkParam, DevlinkPort, DevlinkRate } from '../src/devlink/types';

const physical: DevlinkPort = {
  handle: 'pci/0000:06:00.0/1', bus: 'pci', dev: '0000:06:00.0', index: 1, type: 'eth', netdev: 'enp6s0f0np0',
  flavour: 'physical', number: 0, splitGroup: 0, splittable: true, lanes: 4,
};

const sf: DevlinkPort = {
  handle: 'pci/0000:06:00.0/32768', bus: 'pci', dev: '0000:06:00.0', index: 32768, type: 'eth', netdev: 'eth6',
  flavour: 'pcisf', controller: 0, pfnum: 0, sfnum: 88, external: false, splittable: false,
  function: { hwAddr: '00:00:00:00:88:88', state: 'inactive', opstate: 'attached' },
};

function text(f: (p: Printer) => void): string {
  const p = new Printer({ json: false, pretty: false });
  f(p);
  return p.take();
}

/** As a whole command prints it: the section, then the writer's final newline. */
function json(f: (p: Printer) => void, pretty = false): string {
  const p = new Printer({ json: true, pretty });
  f(p);
  p.finish();
  return p.take();
}

describe('cli output: JSON writer (lib/json_writer.c)', () => {
  it('writes compact JSON with separators only between members', () => {
    let s = '';
    const w = new JsonWriter((x) => (s += x), false);
    w.startObject();
    w.name('a');
    w.literal(1);
    w.name('b');
    w.startArray();
    w.string('x');
    w.string('y');
    w.endArray();
    w.name('c');
    w.startObject();
    w.endObject();
    w.endObject();
    assert.equal(s, '{"a":1,"b":["x","y"],"c":{}}');
  });

  it('pretty: 4-space indents, "[ " and " ]", objects in arrays joined by "},{"', () => {
    let s = '';
    const w = new JsonWriter((x) => (s += x), true);
    w.startObject();
    w.name('v');
    w.startArray();
    w.startObject();
    w.name('k');
    w.literal(true);
    w.endObject();
    w.startObject();
    w.endObject();
    w.endArray();
    w.name('e');
    w.startArray();
    w.endArray();
    w.endObject();
    assert.equal(s, '{\n    "v": [ {\n            "k": true\n        },{} ],\n    "e": [ ]\n}');
  });

  it('escapes what json_writer escapes', () => {
    let s = '';
    const w = new JsonWriter((x) => (s += x), false);
    w.string('a"b\\c\td\n');
    assert.equal(s, '"a\\"b\\\\c\\td\\n"');
  });
});

describe('cli output: port', () => {
  it('prints a physical port as iproute2 6.1 does', () => {
    assert.equal(text((p) => printPort(p, physical)),
      'pci/0000:06:00.0/1: type eth netdev enp6s0f0np0 flavour physical port 0 split_group 0 splittable true lanes 4\n');
  });

  it('prints an SF port with its function on the next lines', () => {
    assert.equal(text((p) => printPort(p, sf)),
      'pci/0000:06:00.0/32768: type eth netdev eth6 flavour pcisf controller 0 pfnum 0 sfnum 88 external false splittable false\n' +
      '  function:\n' +
      '    hw_addr 00:00:00:00:88:88 state inactive opstate attached\n');
  });

  it('leaves out what the kernel did not send (PORT_EXTERNAL for SFs on 6.1)', () => {
    const { external: _e, ...noExternal } = sf;
    assert.equal(text((p) => printPort(p, noExternal)).split('\n')[0],
      'pci/0000:06:00.0/32768: type eth netdev eth6 flavour pcisf controller 0 pfnum 0 sfnum 88 splittable false');
  });

  it('prints des_type only when it differs, and unknown values as iproute2 does', () => {
    const port: DevlinkPort = { handle: 'x/y/3', bus: 'x', dev: 'y', index: 3, type: 'notset', desiredType: 'eth', flavour: 'unused' };
    assert.equal(text((p) => printPort(p, port)), 'x/y/3: type notset des_type eth flavour <unknown flavour>\n');
    assert.equal(text((p) => printPort(p, { ...port, type: 'eth', desiredType: 'eth', flavour: 7 })), 'x/y/3: type eth flavour <unknown flavour>\n');
    assert.equal(text((p) => printPort(p, { ...port, type: 9, desiredType: undefined })), 'x/y/3: type <unknown type> flavour <unknown flavour>\n');
  });

  it('prints capabilities and max_io_eqs after opstate, as newer iproute2 does', () => {
    const port = { ...sf, function: { ...sf.function, state: 'active' as const, caps: { roce: true, migratable: false }, maxIoEqs: 8 } };
    assert.equal(text((p) => printPort(p, port)).split('\n')[2],
      '    hw_addr 00:00:00:00:88:88 state active opstate attached roce enable migratable disable max_io_eqs 8');
    assert.equal(json((p) => printPort(p, port)),
      '"pci/0000:06:00.0/32768":{"type":"eth","netdev":"eth6","flavour":"pcisf","controller":0,"pfnum":0,"sfnum":88,' +
      '"external":false,"splittable":false,"function":{"hw_addr":"00:00:00:00:88:88","state":"active","opstate":"attached",' +
      '"roce":"enable","migratable":"disable","max_io_eqs":8}}\n');
  });

  it('prints the nested devlink instance of newer kernels as newer iproute2 does', () => {
    const port = { ...sf, function: { ...sf.function, devlink: 'auxiliary/mlx5_core.sf.4' } };
    assert.equal(text((p) => printPort(p, port)).split('\n').slice(1).join('\n'),
      '  function:\n    hw_addr 00:00:00:00:88:88 state inactive opstate attached\n      nested_devlink:\n        auxiliary/mlx5_core.sf.4\n');
    assert.match(json((p) => printPort(p, port)), /"opstate":"attached","nested_devlink":\{"auxiliary\/mlx5_core\.sf\.4":\{\}\}\}\}/);
  });

  it('JSON: the port section keyed by handle; pretty with 4-space indents', () => {
    const show = (p: Printer): void => {
      p.sectionStart('port');
      printPort(p, sf);
      p.sectionEnd();
    };
    assert.equal(json(show),
      '{"port":{"pci/0000:06:00.0/32768":{"type":"eth","netdev":"eth6","flavour":"pcisf","controller":0,"pfnum":0,"sfnum":88,' +
      '"external":false,"splittable":false,"function":{"hw_addr":"00:00:00:00:88:88","state":"inactive","opstate":"attached"}}}}\n');
    assert.equal(json(show, true), [
      '{',
      '    "port": {',
      '        "pci/0000:06:00.0/32768": {',
      '            "type": "eth",',
      '            "netdev": "eth6",',
      '            "flavour": "pcisf",',
      '            "controller": 0,',
      '            "pfnum": 0,',
      '            "sfnum": 88,',
      '            "external": false,',
      '            "splittable": false,',
      '            "function": {',
      '                "hw_addr": "00:00:00:00:88:88",',
      '                "state": "inactive",',
      '                "opstate": "attached"',
      '            }',
      '        }',
      '    }',
      '}',
      '',
    ].join('\n'));
  });

  it('an empty section is the empty wrapper', () => {
    assert.equal(json((p) => {
      p.sectionStart('port');
      p.sectionEnd();
    }), '{"port":{}}\n');
  });
});

describe('cli output: dev, eswitch, info', () => {
  it('dev show: the handle alone; {} in JSON', () => {
    const devs = [{ handle: 'pci/0000:06:00.0', bus: 'pci', dev: '0000:06:00.0' }, { handle: 'pci/0000:07:00.0', bus: 'pci', dev: '0000:07:00.0' }];
    assert.equal(text((p) => devs.forEach((d) => printDev(p, d))), 'pci/0000:06:00.0\npci/0000:07:00.0\n');
    assert.equal(json((p) => {
      p.sectionStart('dev');
      devs.forEach((d) => printDev(p, d));
      p.sectionEnd();
    }), '{"dev":{"pci/0000:06:00.0":{},"pci/0000:07:00.0":{}}}\n');
  });

  it('dev show -s: reload statistics nested two steps deeper each', () => {
    const stats = {
      reloadStats: { reloadActionInfo: [
        { reloadAction: 1, reloadActionStats: [{ reloadStatsEntry: [{ reloadStatsLimit: 0, reloadStatsValue: 0 }] }] },
        { reloadAction: 2, reloadActionStats: [{ reloadStatsEntry: [
          { reloadStatsLimit: 0, reloadStatsValue: 1 }, { reloadStatsLimit: 1, reloadStatsValue: 0 },
        ] }] },
      ] },
      remoteReloadStats: { reloadActionInfo: [] },
    };
    const d = { handle: 'netdevsim/netdevsim10', bus: 'netdevsim', dev: 'netdevsim10' };
    assert.equal(text((p) => printDev(p, d, stats)), [
      'netdevsim/netdevsim10:',
      '  stats:',
      '      reload:',
      '          driver_reinit:',
      '            unspecified 0',
      '          fw_activate:',
      '            unspecified 1 no_reset 0',
      '      remote_reload:',
      '',
    ].join('\n'));
    assert.equal(json((p) => printDev(p, d, stats)),
      '"netdevsim/netdevsim10":{"stats":{"reload":{"driver_reinit":{"unspecified":0},"fw_activate":{"unspecified":1,"no_reset":0}},"remote_reload":{}}}\n');
  });

  it('eswitch show', () => {
    const e = { handle: 'pci/0000:06:00.0', mode: 'switchdev' as const, inlineMode: 'none' as const, encapMode: 'basic' as const };
    assert.equal(text((p) => printEswitch(p, e)), 'pci/0000:06:00.0: mode switchdev inline-mode none encap-mode basic\n');
    assert.equal(json((p) => {
      p.sectionStart('dev');
      printEswitch(p, e);
      p.sectionEnd();
    }), '{"dev":{"pci/0000:06:00.0":{"mode":"switchdev","inline-mode":"none","encap-mode":"basic"}}}\n');
  });

  const info: DeviceInfo = {
    handle: 'pci/0000:06:00.0', driver: 'mlx5_core', serialNumber: 'MT2025X12345',
    versions: { fixed: { 'fw.psid': 'MT_0000000008' }, running: { 'fw.version': '16.35.1012' }, stored: { 'fw.version': '16.35.1012' } },
  };

  it('dev info: versions at 6 and 8 spaces', () => {
    assert.equal(text((p) => printInfo(p, info)), [
      'pci/0000:06:00.0:',
      '  driver mlx5_core',
      '  serial_number MT2025X12345',
      '  versions:',
      '      fixed:',
      '        fw.psid MT_0000000008',
      '      running:',
      '        fw.version 16.35.1012',
      '      stored:',
      '        fw.version 16.35.1012',
      '',
    ].join('\n'));
    assert.equal(json((p) => {
      p.sectionStart('info');
      printInfo(p, info);
      p.sectionEnd();
    }), '{"info":{"pci/0000:06:00.0":{"driver":"mlx5_core","serial_number":"MT2025X12345","versions":{"fixed":{"fw.psid":"MT_0000000008"},' +
      '"running":{"fw.version":"16.35.1012"},"stored":{"fw.version":"16.35.1012"}}}}}\n');
  });

  it('dev info: board.serial_number after serial_number; nothing for a device without information', () => {
    const i2: DeviceInfo = { handle: 'a/b', driver: 'd', serialNumber: 's', boardSerialNumber: 'bs', versions: { fixed: {}, running: {}, stored: {} } };
    assert.equal(text((p) => printInfo(p, i2)), 'a/b:\n  driver d\n  serial_number s\n  board.serial_number bs\n');
    assert.equal(text((p) => printInfo(p, { handle: 'a/b', versions: { fixed: {}, running: {}, stored: {} } })), '');
  });
});

describe('cli output: params', () => {
  const params: DevlinkParam[] = [
    { handle: 'pci/0000:06:00.0', name: 'max_macs', generic: true, type: 'u32', values: [{ cmode: 'runtime', value: 32 }, { cmode: 'driverinit', value: 32 }] },
    { handle: 'pci/0000:06:00.0', name: 'enable_roce', generic: true, type: 'bool', values: [{ cmode: 'driverinit', value: false }] },
    { handle: 'pci/0000:06:00.1', name: 'flow_steering_mode', generic: false, type: 'string', values: [{ cmode: 'runtime', value: 'dmfs' }] },
  ];
  const show = (p: Printer): void => {
    p.sectionStart('param');
    for (const x of params) printParam(p, x, true);
    p.sectionEnd();
  };

  it('groups the parameters under their device', () => {
    assert.equal(text(show), [
      'pci/0000:06:00.0:',
      '  name max_macs type generic',
      '    values:',
      '      cmode runtime value 32',
      '      cmode driverinit value 32',
      '  name enable_roce type generic',
      '    values:',
      '      cmode driverinit value false',
      'pci/0000:06:00.1:',
      '  name flow_steering_mode type driver-specific',
      '    values:',
      '      cmode runtime value dmfs',
      '',
    ].join('\n'));
  });

  it('JSON: an array per device', () => {
    assert.equal(json(show),
      '{"param":{"pci/0000:06:00.0":[{"name":"max_macs","type":"generic","values":[{"cmode":"runtime","value":32},{"cmode":"driverinit","value":32}]},' +
      '{"name":"enable_roce","type":"generic","values":[{"cmode":"driverinit","value":false}]}],' +
      '"pci/0000:06:00.1":[{"name":"flow_steering_mode","type":"driver-specific","values":[{"cmode":"runtime","value":"dmfs"}]}]}}\n');
  });

  it('shows fw_load_policy and reset_dev_on_drv_probe as words', () => {
    const x: DevlinkParam = { handle: 'a/b', name: 'fw_load_policy', generic: true, type: 'u8', values: [{ cmode: 'driverinit', value: 1 }] };
    assert.match(text((p) => printParam(p, x, true)), /cmode driverinit value flash\n/);
  });

  it('monitor form: the handle on the same line', () => {
    assert.equal(text((p) => {
      monHeader(p, 'param', 'new');
      printParam(p, params[0], false);
      monFooter(p);
    }), '[param,new] pci/0000:06:00.0: name max_macs type generic\n  values:\n    cmode runtime value 32\n    cmode driverinit value 32\n');
  });
});

describe('cli output: rates and reload', () => {
  it('formats rates as print_rate does', () => {
    assert.equal(formatRate(125000000n), '1Gbit');
    assert.equal(formatRate(1250000n), '10Mbit');
    assert.equal(formatRate(125n), '1Kbit');
    assert.equal(formatRate(100n), '800bit');
    assert.equal(formatRate(154321n), '1234Kbit');
    assert.equal(formatRate(1543210000n), '12345Mbit');
    assert.equal(formatRate(154321000000n), '1234Gbit');
    assert.equal(formatRate(128n, true), '1Kibit');
    assert.equal(formatRate(131072n, true), '1Mibit');
  });

  const leaf: DevlinkRate = {
    handle: 'pci/0000:06:00.0/1', bus: 'pci', dev: '0000:06:00.0',
    type: 'leaf', portIndex: 1, txShare: 0n, txMax: 125000000n, parent: 'group1',
  };
  const node: DevlinkRate = {
    handle: 'pci/0000:06:00.0/group1', bus: 'pci', dev: '0000:06:00.0',
    type: 'node', nodeName: 'group1', txShare: 1250000n, txMax: 0n,
  };

  it('prints leaves and nodes; zero rates left out', () => {
    assert.equal(text((p) => [leaf, node].forEach((r) => printRate(p, r))),
      'pci/0000:06:00.0/1: type leaf tx_max 1Gbit parent group1\npci/0000:06:00.0/group1: type node tx_share 10Mbit\n');
    assert.equal(json((p) => {
      p.sectionStart('rate');
      printRate(p, leaf);
      printRate(p, node);
      p.sectionEnd();
    }), '{"rate":{"pci/0000:06:00.0/1":{"type":"leaf","tx_max":125000000,"parent":"group1"},"pci/0000:06:00.0/group1":{"type":"node","tx_share":1250000}}}\n');
  });

  it('prints tx_priority and tx_weight when set', () => {
    assert.equal(text((p) => printRate(p, { ...node, txPriority: 2, txWeight: 50 })),
      'pci/0000:06:00.0/group1: type node tx_share 10Mbit tx_priority 2 tx_weight 50\n');
  });

  it('dev reload: reload_actions_performed', () => {
    assert.equal(text((p) => printReload(p, ['driver_reinit'])), 'reload_actions_performed:\n    driver_reinit\n');
    assert.equal(json((p) => printReload(p, ['driver_reinit'])), '{"reload":{"reload_actions_performed":["driver_reinit"]}}\n');
  });

  it('monitor header: [obj,cmd] before the object, an entry with "command" in JSON', () => {
    assert.equal(text((p) => {
      monHeader(p, 'rate', 'new');
      printRate(p, { ...leaf, txMax: 0n, parent: undefined });
    }), '[rate,new] pci/0000:06:00.0/1: type leaf\n');
    assert.equal(json((p) => {
      monHeader(p, 'dev', 'new');
      printDev(p, { handle: 'a/b', bus: 'a', dev: 'b' });
      monFooter(p);
    }), '{"command":"new","dev":{"a/b":{}}}\n');
  });
});
