#!/usr/bin/env bash
# zset.sh — A/B benchmark of sorted set reads (ZRANGE, ZSCORE, ZRANGEBYSCORE) and of the memory
# of a 1,000,000-member sorted set, in the alternating style of ../shared/bench/compare.sh.
#
#   bench/zset.sh HOST_A:PORT_A HOST_B:PORT_B      (A = Pilgrim, B = Redis)
#
# Every round runs each workload against A and B back to back (odd rounds A first, even rounds
# B first) after the same prefill; the table shows median requests/s and the median of the
# paired ratios A/B. Settings: ROUNDS=5 N=60000 CLIENTS=50 MEM=1 MEM_MEMBERS=1000000
# A_PID/B_PID (found from the port when local).
set -u
A=$1; B=$2
ROUNDS=${ROUNDS:-5}; N=${N:-60000}; CLIENTS=${CLIENTS:-50}
MEM=${MEM:-1}; MEM_MEMBERS=${MEM_MEMBERS:-1000000}
host() { echo "${1%:*}"; }
port() { echo "${1##*:}"; }
pid_of() { ss -ltnpH "( sport = :$(port "$1") )" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2; }
A_PID=${A_PID:-$(pid_of "$A")}; B_PID=${B_PID:-$(pid_of "$B")}
cli() { local t=$1; shift; redis-cli -h "$(host "$t")" -p "$(port "$t")" "$@"; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

prefill() { # target: a 1000-member set with distinct scores
  local t=$1 b i args
  cli "$t" FLUSHALL >/dev/null
  for b in $(seq 0 9); do
    args=()
    for i in $(seq $((b * 100)) $((b * 100 + 99))); do args+=("$i.5" "m:$i"); done
    cli "$t" ZADD bench:zr "${args[@]}" >/dev/null
  done
}

run() { # target workload -> rps
  local t=$1 w=$2 cmd
  case $w in
    zrange) cmd=(ZRANGE bench:zr 0 9 WITHSCORES) ;;
    zrange_rev) cmd=(ZRANGE bench:zr 0 9 REV) ;;
    zrangebyscore) cmd=(ZRANGEBYSCORE bench:zr 100 200 LIMIT 0 10) ;;
    zscore) cmd=(ZSCORE bench:zr m:__rand_int__) ;;
    zrank) cmd=(ZRANK bench:zr m:__rand_int__) ;;
  esac
  redis-benchmark -h "$(host "$t")" -p "$(port "$t")" -c "$CLIENTS" -n "$N" -r 1000 --csv \
    "${cmd[@]}" 2>/dev/null | tail -1 | cut -d, -f2 | tr -d '"'
}

WORKLOADS="zrange zrange_rev zrangebyscore zscore zrank"
declare -A RA RB RATIO
for r in $(seq 1 "$ROUNDS"); do
  for w in $WORKLOADS; do
    if (( r % 2 == 1 )); then order="A B"; else order="B A"; fi
    for side in $order; do
      t=$A; [ "$side" = B ] && t=$B
      prefill "$t"
      v=$(run "$t" "$w")
      if [ "$side" = A ]; then RA[$w]+="$v "; a=$v; else RB[$w]+="$v "; b=$v; fi
    done
    RATIO[$w]+="$(awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "NA" }') "
    echo "[round $r] $w A=$a B=$b" >&2
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}'; }
minmax() { tr ' ' '\n' | grep -v '^$' | sort -g | awk 'NR==1 {lo=$1} {hi=$1} END {print lo "-" hi}'; }
printf "%-14s %12s %12s %7s %13s\n" workload rps_A rps_B ratio "rmin-rmax"
for w in $WORKLOADS; do
  printf "%-14s %12s %12s %7s %13s\n" "$w" "$(echo "${RA[$w]}" | median)" \
    "$(echo "${RB[$w]}" | median)" "$(echo "${RATIO[$w]}" | median)" "$(echo "${RATIO[$w]}" | minmax)"
done

if [ "$MEM" = 1 ] && [ -n "$A_PID" ] && [ -n "$B_PID" ]; then
  echo
  printf "%-6s %10s %10s %10s %8s\n" side base_MiB rss_MiB delta_MiB B/member
  for side in A B; do
    t=$A; p=$A_PID; [ "$side" = B ] && { t=$B; p=$B_PID; }
    cli "$t" FLUSHALL >/dev/null; sleep 2
    base=$(rss_kb "$p")
    awk -v n="$MEM_MEMBERS" 'BEGIN {
      for (i = 0; i < n; i += 100) {
        printf "*%d\r\n$4\r\nZADD\r\n$9\r\nbench:mem\r\n", 2 + 2 * 100
        for (j = i; j < i + 100; j++) {
          s = sprintf("%d", j); m = sprintf("member:%d", j)
          printf "$%d\r\n%s\r\n$%d\r\n%s\r\n", length(s), s, length(m), m
        }
      }
    }' | cli "$t" --pipe >/dev/null
    sleep 1
    rss=$(rss_kb "$p")
    card=$(cli "$t" ZCARD bench:mem)
    awk -v b="$base" -v r="$rss" -v n="$card" -v s="$side" \
      'BEGIN { printf "%-6s %10.1f %10.1f %10.1f %8.1f\n", s, b/1024, r/1024, (r-b)/1024, (r-b)*1024/n }'
    cli "$t" FLUSHALL >/dev/null
  done
fi
