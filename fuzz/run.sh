#!/usr/bin/env bash
# Seeds the corpus, then fuzzes the parse_conf target for SECONDS (default 300) seconds.
#   fuzz/run.sh [SECONDS] [extra libFuzzer flags...]
# Needs cargo-fuzz (`cargo install cargo-fuzz`); RUSTC_BOOTSTRAP=1 lets stable rustc take the
# nightly-only sanitizer flags cargo-fuzz passes. Crashes land in fuzz/artifacts/parse_conf/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
secs="${1:-300}"
shift || true
"$here/seed.sh"
cd "$here"
RUSTC_BOOTSTRAP=1 exec cargo fuzz run parse_conf corpus/parse_conf -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -dict=corpus/parse_conf.dict "$@"
