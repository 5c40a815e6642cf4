// --stats-json: one pino JSON line per period and a final one. Writes are
// synchronous on fd 1, so the final line is on stdout before the process
// exits (an async transport can lose it, DESIGN.md measured facts).
//
// Schema (stable; scripts parse it):
//   {"level":30,"time":"<ISO>","msg":"stats","interval":S,"ports":[P...],"mempool":{"size":N,"inUse":N}}
//   {"level":30,"time":"<ISO>","msg":"final","ports":[P...],"mempool":{...},"ok":true|false,
//    "gcs":[per lcore: collections from 2 s after its first frame, -1 if not measured],"maxRssKb":N,
//    "forced":true only when a second signal ended the run without waiting for the lcores}
//   P = {"port","name","ipackets","opackets","txHanded","oerrors","ibytes","obytes","forwarded","generated",
//        "dropped":{"txFail","txInvalid","badFrame","ringFull","imissed","noMbuf","ierrors"}}
//   (opackets: sent by the driver; txHanded = opackets + the driver's tx refusals;
//    txInvalid: frames of this port its destination's driver refused, see snapshot.ts)
//   "stats" lines also carry per port "rxPps","txPps","rxBps","txBps" since the previous line.
//   Both carry "lcores":[{"lcore","polls","emptyPolls","sleeps","sleepUs","busyUs","busy","asleep"}]: counts
//   since the start, and busy/asleep shares (0..1) of the last interval ("stats") or of the run ("final").
import pino from 'pino';
import { loadShares } from './lcore-load';
import { Snapshot } from './snapshot';

export class JsonStats {
  /** `startT`: snapshot time (Snapshot.t) of the run's start, for the final busy shares. */
  constructor(private readonly startT: number) {}

  private readonly log = pino({ base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: 1, sync: true }));

  period(cur: Snapshot, prev: Snapshot | undefined): void {
    const dt = prev ? cur.t - prev.t : 0;
    const ports = cur.ports.map((p) => {
      const q = prev?.ports.find((x) => x.port === p.port);
      const r = (a: number, b: number | undefined): number => (q && dt > 0 && b !== undefined ? Math.round((a - b) / dt) : 0);
      return {
        ...p, rxPps: r(p.ipackets, q?.ipackets), txPps: r(p.opackets, q?.opackets),
        rxBps: r(p.ibytes * 8, q && q.ibytes * 8), txBps: r(p.obytes * 8, q && q.obytes * 8),
      };
    });
    const lcores = cur.lcores.map((l) => ({ ...l, ...loadShares(l, prev?.lcores.find((x) => x.lcore === l.lcore), dt) }));
    this.log.info({ interval: Number(dt.toFixed(3)), ports, lcores, mempool: cur.mempool }, 'stats');
  }

  /** `extra`: gcs (per lcore, counted after warm-up; -1 = run too short) and maxRssKb. */
  final(cur: Snapshot, ok: boolean, extra: { gcs: number[]; maxRssKb: number; forced?: boolean }): void {
    const secs = cur.t - this.startT;
    const lcores = cur.lcores.map((l) => ({ ...l, ...loadShares(l, undefined, secs) }));
    this.log.info({ ports: cur.ports, lcores, mempool: cur.mempool, ok, ...extra }, 'final');
  }
}
