#!/usr/bin/env bash
# Seeds fuzz/corpus/parse_conf/ with every fixtures/check/*/keepalived.conf (corpus/ is git-ignored).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
corpus="$here/corpus/parse_conf"
mkdir -p "$corpus"
n=0
for conf in "$root"/fixtures/check/*/keepalived.conf; do
    case_name="$(basename "$(dirname "$conf")")"
    cp "$conf" "$corpus/fixture-$case_name.conf"
    n=$((n + 1))
done
# The saved crash inputs are seeds too, except those of bugs still open (regressions/known-bugs.txt):
# libFuzzer would stop at the first of them while loading the corpus.
for reg in "$here"/regressions/*.conf; do
    [ -e "$reg" ] || continue
    if grep -qxF "$(basename "$reg")" "$here/regressions/known-bugs.txt" 2>/dev/null; then
        continue
    fi
    cp "$reg" "$corpus/regression-$(basename "$reg")"
    n=$((n + 1))
done
echo "seeded $n inputs into $corpus"

# A libFuzzer dictionary: every quoted word of the keyword tables, plus the preprocessor's tokens
# (libFuzzer escapes: only \\, \" and \xAB).
dict="$here/corpus/parse_conf.dict"
{
    grep -rhoE '"[a-zA-Z_@^][a-zA-Z0-9_]{2,}"' "$root"/compiler/src/conf/grammar/ | sort -u
    for tok in '{' '}' '\"' '#' '!' '\\' '@lb1 ' '@^lb1 ' '$X=' '$X' '${X}' '${_INSTANCE}' \
        '${_PWD}' '${_RANDOM 1 9}' '${_HASH}' '${_BANG}' '~SEQ(i,1,3)' '~SEQx(i,1,3)' \
        '~LST(x,a,b)' 'include ' 'includem ' '\x0A' '\x09'; do
        printf '"%s"\n' "$tok"
    done
} >"$dict"
echo "wrote $(wc -l <"$dict") dictionary entries to $dict"
