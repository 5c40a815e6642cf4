// `tsfwd demo`: the core demo. Two pinned lcores move real mbufs through a
// ring for a few seconds; every mbuf must be back in the pool at the end.
import { DEMO_BADSEQ, DEMO_FULL, DEMO_LINE, DEMO_NOMBUF, DEMO_OBJS, DEMO_STAMPED, RingDemoConfig } from '../apps/ring-demo';
import { parseCoreList, UsageError } from '../eal/corelist';
import { LcoreGroup } from '../eal/launch';
import { Mempool } from '../mempool/mempool';
import { Ring } from '../ring/ring';
import { RING_F_SC_DEQ, RING_F_SP_ENQ } from '../ring/layout';
import { Args } from './args';
import { runNetDemo } from './demo-net';
import type { Usage } from './usage';

/** `tsfwd demo --help`: one line per option runDemo accepts (test/cli-help.test.ts checks). */
export const DEMO_USAGE: Usage = {
  synopsis: ['tsfwd demo [--duration S] [--rate PPS]', 'tsfwd demo --core [-l CORELIST] [--duration S] [--burst N]'],
  summary: '(npm start) a topology, forwarder and traffic for a few seconds; --core without root',
  about: 'npm start. As root: builds the gen-fwd-sink topology, runs l2fwd, pktgen and a sink in it with live stats, ' +
    'prints the sink\'s summary and removes everything it made. --core needs no root: two pinned lcores move mbufs ' +
    'through a shared ring and every object is accounted for.',
  sections: [{
    title: 'Options', options: [
      ['--duration S', 'how long traffic runs (default 8 s; 3 s with --core)'],
      ['--rate PPS', 'pktgen\'s rate (default 100000)'],
      ['--core', 'the in-memory demo, no kernel, no root'],
      ['-l CORELIST', '--core: the two lcores (default 0,1); implies --core'],
      ['--burst N', '--core: burst size, 1..512 (default 32); implies --core'],
      ['-h, --help', 'this usage'],
    ],
  }],
  examples: ['sudo npm start', 'npx tsfwd demo --core -l 0,1 --duration 2'],
};

export async function runDemo(argv: string[]): Promise<number> {
  let lcores = [0, 1];
  let duration: number | undefined;
  let burst = 32;
  let core = false;
  let pps = 100_000;
  const a = new Args(argv);
  for (let o = a.next(); o !== undefined; o = a.next()) {
    if (o === '-l') { lcores = parseCoreList(a.value(o)); core = true; }
    else if (o === '--duration') duration = a.num(o, 0.1, 3600);
    else if (o === '--burst') { burst = a.int(o, 1, 512); core = true; }
    else if (o === '--core') core = true;
    else if (o === '--rate') pps = a.int(o, 1, 100_000_000);
    else throw new UsageError(`demo: unknown option '${o}'`);
  }
  if (!core) return runNetDemo(duration ?? 8, pps);
  return runCoreDemo(lcores, duration ?? 3, burst);
}

/** The in-memory demo: mempool + ring + two pinned lcores, no kernel. */
async function runCoreDemo(lcores: number[], duration: number, burst: number): Promise<number> {
  if (lcores.length !== 2) throw new UsageError(`demo needs exactly 2 lcores (-l A,B), got ${lcores.length}`);

  const mp = Mempool.create({ n: 8192, cacheSize: 256 });
  const ring = Ring.create(1024, RING_F_SP_ENQ | RING_F_SC_DEQ);
  const stats = new SharedArrayBuffer(2 * DEMO_LINE * 8);
  const st = new Float64Array(stats);
  const config: RingDemoConfig = { pool: mp.buffer, ring: ring.buffer, stats, burst };
  console.log(`tsfwd demo: mempool of ${mp.n} mbufs (${mp.dataRoom} B data room, cache ${mp.cacheSize}), ring of ${ring.capacity}, burst ${burst}`);
  const group = LcoreGroup.launch({ lcores, app: ['ring-demo-producer', 'ring-demo-consumer'], config });
  for (let i = 0; i < 2; i++) {
    console.log(`lcore ${lcores[i]}: ${i === 0 ? 'producer: alloc -> stamp -> enqueue' : 'consumer: dequeue -> check -> free'}`);
  }
  let last = [0, 0];
  let lastT = process.hrtime.bigint();
  const tick = setInterval(() => {
    const now = process.hrtime.bigint();
    const dt = Number(now - lastT) / 1e9;
    const cur = [st[DEMO_OBJS], st[DEMO_LINE + DEMO_OBJS]];
    console.log(`  produced ${fmt((cur[0] - last[0]) / dt)} obj/s  consumed ${fmt((cur[1] - last[1]) / dt)} obj/s  ` +
      `ring-full drops ${st[DEMO_FULL]}  in use ${mp.inUseCount()}/${mp.n}`);
    last = cur;
    lastT = now;
  }, 1000);
  const stopAll = (): void => group.stop();
  process.once('SIGINT', stopAll);
  process.once('SIGTERM', stopAll);
  const timer = setTimeout(stopAll, duration * 1000);
  try {
    await group.wait();
  } finally {
    clearInterval(tick);
    clearTimeout(timer);
    process.off('SIGINT', stopAll);
    process.off('SIGTERM', stopAll);
  }
  // Anything the producer enqueued after the consumer's last look goes back too.
  const tmp = new Uint32Array(64);
  let drained = 0;
  for (let n = ring.dequeueBurst(tmp, 64); n > 0; n = ring.dequeueBurst(tmp, 64)) { mp.putBulk(tmp, n); drained += n; }
  const stamped = st[DEMO_STAMPED];
  const consumed = st[DEMO_LINE + DEMO_OBJS];
  const full = st[DEMO_FULL];
  console.log(`done: stamped ${stamped} = consumed ${consumed} + ring-full drops ${full} + drained at stop ${drained}; ` +
    `no-mbuf waits ${st[DEMO_NOMBUF]}, order errors ${st[DEMO_LINE + DEMO_BADSEQ]}, mempool free ${mp.availCount()}/${mp.n}`);
  if (mp.availCount() !== mp.n || st[DEMO_LINE + DEMO_BADSEQ] !== 0 || stamped !== consumed + full + drained) {
    console.error('tsfwd demo: FAILED: mbufs leaked, packets unaccounted for, or order broken');
    return 1;
  }
  return 0;
}

function fmt(v: number): string {
  return v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : v.toFixed(0);
}
