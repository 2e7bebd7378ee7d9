#!/usr/bin/env bash
# Record what the real `keepalived -t` (Debian's 2.2.7) says about each fixture case.
#
# Usage: tests/oracle/record.sh [--check] [CASE_DIR...]
#
#   CASE_DIR   a directory holding keepalived.conf (the entry file) and case.json
#              (default: every directory under fixtures/check/ that has a case.json).
#   --check    do not write anything; compare the live result with the recorded one and exit 1
#              if any case differs (the same check `cargo test -p kac-tests --test oracle` runs).
#
# Runs as root. Creates a throw-away network namespace (kac-oracle-$$) in which veth pairs make
# eth0..eth3 exist and be up (their peers are eth0-peer..eth3-peer, also inside the namespace), and
# runs, with the case directory as cwd:
#     ip netns exec NS keepalived -t -f keepalived.conf -i CONFIG_ID
# The exit status and the stderr lines are written to case.json's "keepalived" member; the other
# members (description, config_id, kac_differs) are kept. The namespace is removed on exit. Nothing in
# the host namespace (interfaces, addresses, routes) is touched.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

check=0
cases=()
for arg in "$@"; do
    case "$arg" in
        --check) check=1 ;;
        -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "record.sh: unknown option $arg" >&2; exit 2 ;;
        *) cases+=("$arg") ;;
    esac
done
if [ ${#cases[@]} -eq 0 ]; then
    for d in "$repo"/fixtures/check/*/; do
        [ -f "$d/case.json" ] && cases+=("${d%/}")
    done
fi

if [ "$(id -u)" -ne 0 ]; then echo "record.sh: must run as root (ip netns)" >&2; exit 2; fi
command -v keepalived >/dev/null || { echo "record.sh: keepalived not installed" >&2; exit 2; }
command -v python3 >/dev/null || { echo "record.sh: python3 not installed" >&2; exit 2; }

ns="kac-oracle-$$"
tmp=$(mktemp -d)
cleanup() {
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$ns"
ip -n "$ns" link set lo up
for i in 0 1 2 3; do
    ip -n "$ns" link add "eth$i" type veth peer name "eth$i-peer"
    ip -n "$ns" link set "eth$i" up
    ip -n "$ns" link set "eth$i-peer" up
done

failed=0
for c in "${cases[@]}"; do
    c=${c%/}
    if [ ! -f "$c/keepalived.conf" ] || [ ! -f "$c/case.json" ]; then
        echo "record.sh: $c: needs keepalived.conf and case.json" >&2
        failed=1
        continue
    fi
    id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("config_id") or "lb1")' "$c/case.json")
    set +e
    (cd "$c" && timeout 60 ip netns exec "$ns" keepalived -t -f keepalived.conf -i "$id") \
        >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?
    set -e
    if [ -s "$tmp/stdout" ]; then
        echo "record.sh: $c: note: keepalived wrote to stdout (not recorded):" >&2
        sed 's/^/    /' "$tmp/stdout" >&2
    fi
    python3 - "$c/case.json" "$rc" "$tmp/stderr" "$check" <<'PY' || failed=1
import json, sys
path, rc, err_path, check = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
with open(err_path, encoding="utf-8", errors="surrogateescape") as f:
    lines = f.read().splitlines()
with open(path, encoding="utf-8") as f:
    case = json.load(f)
live = {"exit": rc, "stderr": lines}
name = path.rsplit("/", 2)[-2]
verdict = "accepted" if rc == 0 and not lines else "rejected"
if check:
    if case.get("keepalived") != live:
        print(f"DIFFERS {name}: recorded {case.get('keepalived')!r}, live {live!r}")
        sys.exit(1)
    print(f"ok {name}: exit {rc}, {len(lines)} stderr line(s), {verdict}")
    sys.exit(0)
out = {
    "description": case.get("description", ""),
    "config_id": case.get("config_id", "lb1"),
    "keepalived": live,
    "kac_differs": case.get("kac_differs"),
}
for k, v in case.items():
    if k not in out:
        out[k] = v
with open(path, "w", encoding="utf-8") as f:
    json.dump(out, f, indent=2, ensure_ascii=False)
    f.write("\n")
print(f"{name}: exit {rc}, {len(lines)} stderr line(s), {verdict}")
PY
done
exit $failed
