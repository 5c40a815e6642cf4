// l2fwd's "Port statistics" block, same labels and right-aligned numbers
// (every counter line is 38 characters, as l2fwd's printf widths make it),
// plus what l2fwd lacks: rates since the previous block and drops by reason.
import { formatLoad } from './lcore-load';
import { Snapshot, droppedAfterRx } from './snapshot';

const W = 38;
const line = (label: string, v: number | string): string => `${label}${String(v).padStart(W - label.length)}`;

function rate(v: number): string {
  return v >= 1e9 ? `${(v / 1e9).toFixed(2)}G` : v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : v.toFixed(0);
}

export function statsBlock(cur: Snapshot, prev: Snapshot | undefined, clearScreen: boolean): string {
  const dt = prev ? cur.t - prev.t : 0;
  const out: string[] = [];
  if (clearScreen) out.push('\x1b[2J\x1b[1;1H');
  out.push('', 'Port statistics ====================================');
  let tSent = 0;
  let tRecv = 0;
  let tDrop = 0;
  for (const p of cur.ports) {
    const q = prev?.ports.find((x) => x.port === p.port);
    const dropped = droppedAfterRx(p.dropped);
    tSent += p.opackets;
    tRecv += p.ipackets;
    tDrop += dropped;
    out.push(`Statistics for port ${p.port} ------------------------------`);
    if (p.link) out.push(`  link ${p.link}`);
    out.push(line('Packets sent: ', p.opackets));
    out.push(line('Packets received: ', p.ipackets));
    out.push(line('Packets dropped: ', dropped));
    if (q && dt > 0) {
      out.push(line('Rx pps: ', rate((p.ipackets - q.ipackets) / dt)));
      out.push(line('Tx pps: ', rate((p.opackets - q.opackets) / dt)));
      out.push(line('Rx bps: ', rate(((p.ibytes - q.ibytes) * 8) / dt)));
      out.push(line('Tx bps: ', rate(((p.obytes - q.obytes) * 8) / dt)));
    }
    const d = p.dropped;
    out.push(`  dropped: tx-fail ${d.txFail}, tx-invalid ${d.txInvalid}, bad-frame ${d.badFrame}, ring-full ${d.ringFull}`);
    out.push(`  tx-side errors: oerrors ${p.oerrors} (frames this port refused or lost, booked as tx-invalid of its source)`);
    out.push(`  rx-side losses: imissed ${d.imissed}, no-mbuf ${d.noMbuf}, ierrors ${d.ierrors}`);
  }
  out.push('Aggregate statistics ===============================');
  out.push(line('Total packets sent: ', tSent));
  out.push(line('Total packets received: ', tRecv));
  out.push(line('Total packets dropped: ', tDrop));
  out.push(`  mempool: ${cur.mempool.inUse} of ${cur.mempool.size} mbufs in use`);
  // Busy-ness since the previous block (or the start): a busy-polling lcore
  // shows 100% CPU in top; this says how much of it did work.
  for (const l of cur.lcores) out.push(`  ${formatLoad(l, prev?.lcores.find((x) => x.lcore === l.lcore), dt)}`);
  out.push('====================================================');
  return `${out.join('\n')}\n`;
}
