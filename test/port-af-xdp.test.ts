// net_af_xdp on veth pairs in namespaces this file creates and always
// removes. Frames are put on the wire and read back with the same independent
// python3 AF_PACKET tool as the net_af_packet tests, never with tsfwd itself.
import { after } from 'node:test';
import * as assert from 'node:assert/strict';
import { Mempool } from '../src/mempool/mempool';
import { xskAvailable, xskLive } from '../src/native';
import { openPort } from '../src/port/registry';
import type { Port } from '../src/port/types';
import { withNetns } from '../src/topo/netns';
import { Capture, Wire1, inject, wire1 } from './helpers/afp-net';
import { runConformance } from './helpers/conformance';
import { netSkipReason } from './helpers/testnet';

const skip = netSkipReason() ?? (xskAvailable() ? undefined : 'tsfwd was built without libxdp-dev/libbpf-dev');
let nextId = 0;
const shared: Wire1[] = [];
after(() => { for (const w of shared.splice(0)) w.tn.destroy(); });

const open = (ns: string, devargs: string, pool: Mempool, id = nextId++): Promise<Port> =>
  withNetns(ns, () => openPort(devargs, { id, pool }));

for (const xdpMode of ['native', 'generic'] as const) {
  runConformance({
    name: `net_af_xdp xdp_mode=${xdpMode}`,
    skip,
    cycles: 200,
    async open(pool) {
      const w = wire1('x');
      let port: Port | undefined;
      try {
        port = await open(w.nsF, `net_af_xdp${nextId},iface=${w.dev},xdp_mode=${xdpMode}`, pool);
        const cap = await Capture.start(w.nsW, w.peer);
        const p = port;
        return {
          port: p,
          inject: (frames) => inject(w.tn, w.nsW, w.peer, frames),
          collect: (n) => cap.take(n),
          teardown: () => { cap.stop(); p.close(); w.tn.destroy(); },
        };
      } catch (e) {
        port?.close();
        w.tn.destroy();
        throw e;
      }
    },
    async devargs(pool) {
      const w = wire1('y');
      shared.push(w);
      const live = xskLive();
      let opened = 0;
      return {
        open: () => {
          if (opened++ > 0) assert.deepEqual(xskLive(), live, 'no native queue, binding or program left behind');
          return open(w.nsF, `net_af_xdp99,iface=${w.dev},xdp_mode=${xdpMode}`, pool, 99);
        },
      };
    },
  });
}
