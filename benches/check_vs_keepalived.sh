#!/usr/bin/env bash
# Benchmark: `kac check` against `keepalived -t` on large generated configurations, same run,
# same machine. Prints wall time and peak RSS of each and the ratios kac/keepalived.
#
# Usage: benches/check_vs_keepalived.sh [VS_COUNT…]   (default: 2000 20000; CI smoke: 200)
# Needs: a release build of kac (built if missing), keepalived, GNU time (/usr/bin/time).
# keepalived -t checks interface names against the machine; the generated config uses eth0,
# so run it where eth0 exists (it does on CI machines and in the test namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(2000 20000)
KAC=${KAC:-target/release/kac}
[ -x "$KAC" ] || cargo build --release --bin kac
command -v keepalived >/dev/null || { echo "skipped: keepalived is not installed"; exit 0; }
[ -x /usr/bin/time ] || { echo "skipped: /usr/bin/time (package time) is not installed"; exit 0; }
work=$(mktemp -d /tmp/kac-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
measure() { # prints "wall_s max_rss_kib exit"
  local out=$1; shift
  /usr/bin/time -f "%e %M %x" -o "$out" "$@" >/dev/null 2>&1 || true
  tail -1 "$out"
}
printf '%-8s %-22s %-10s %-10s %-8s\n' size tool wall_s rss_kib exit
for n in "${sizes[@]}"; do
  conf=$work/big_$n.conf
  python3 benches/gen_big_conf.py --vs "$n" --rs 10 --checker tcp -o "$conf"
  best_k=""; best_r=""
  for run in 1 2 3; do
    read -r kw km kx < <(measure "$work/t" keepalived -t -f "$conf")
    read -r aw am ax < <(measure "$work/t" "$KAC" check "$conf" -i bench --interfaces lo,eth0)
    if [ -z "$best_k" ] || awk "BEGIN{exit !($kw < ${best_k%% *})}"; then best_k="$kw $km $kx"; fi
    if [ -z "$best_r" ] || awk "BEGIN{exit !($aw < ${best_r%% *})}"; then best_r="$aw $am $ax"; fi
  done
  read -r kw km kx <<<"$best_k"; read -r aw am ax <<<"$best_r"
  printf '%-8s %-22s %-10s %-10s %-8s\n' "$n" "keepalived -t" "$kw" "$km" "$kx"
  printf '%-8s %-22s %-10s %-10s %-8s\n' "$n" "kac check" "$aw" "$am" "$ax"
  awk -v n="$n" -v kw="$kw" -v aw="$aw" -v km="$km" -v am="$am" 'BEGIN{
    tr = (kw > 0) ? aw / kw : 0; mr = (km > 0) ? am / km : 0;
    printf "%-8s ratio kac/keepalived: time %.3f (target <= 0.100), peak RSS %.3f (target <= 0.500)\n", n, tr, mr }'
  if [ "$ax" != 0 ]; then echo "error: kac check rejected the generated config"; exit 1; fi
done
echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
