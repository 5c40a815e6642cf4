#!/bin/bash
# Runs bench/c/afp-rx-ring.c on f0 of a fresh gen-fwd-sink topology under
# pktgen --engine xdp-live (CPU 0), consumer on CPU 1: V2, V2+vnet, V3, RUNS
# rounds per frame size. Root. usage: bash bench/c/afp-rx-ring.sh [RUNS] [SIZES...]
set -e
cd "$(dirname "$0")/../.."
RUNS=${1:-3}; shift || true; SIZES=${*:-68 1518}
BIN=/tmp/afp-rx-ring.$$; P=tsfrx$$; B=bin/tsfwd.js
gcc -O2 -o $BIN bench/c/afp-rx-ring.c
node $B topo up gen-fwd-sink --prefix $P >/dev/null
trap "node $B topo down gen-fwd-sink --prefix $P >/dev/null 2>&1 || true; rm -f $BIN" EXIT
for SIZE in $SIZES; do
  ip netns exec $P-gen timeout -s INT $((RUNS * 15 + 10)) node $B pktgen -l 0 --vdev net_af_packet0,iface=g0 -- \
    --engine xdp-live --size $SIZE --dst-mac 02:00:00:00:00:02 -T 0 >/dev/null 2>&1 &
  G=$!; sleep 1.5
  for r in $(seq $RUNS); do
    for v in "2" "2 vnet" "3"; do
      set -- $v
      echo "size $SIZE (with FCS) run $r: $(ip netns exec $P-fwd taskset -c 1 $BIN f0 $1 3 $2)"
    done
  done
  kill -INT $G 2>/dev/null || true; wait $G || true
done
