#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Quality gates on the series, printed as KTAP:
#  - checkpatch.pl --strict on every patch: no errors, and no warnings but
#    the "does MAINTAINERS need updating?" kind for files that a
#    MAINTAINERS entry does cover.  Missing Signed-off-by is ignored: the
#    patches carry the project identity and the submitter signs off.
#  - rustfmtcheck.
#  - no compiler or clippy warning in the rust variant's build log (that
#    variant is built with CLIPPY=1).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

n=0 fail=0
result() {	# result OK|FAIL NAME [DETAIL]
	n=$((n + 1))
	if [ "$1" = OK ]; then echo "    ok $n $2"; else echo "    not ok $n $2${3:+ # $3}"; fail=1; fi
}

patches=$(ls "$TOP"/patches/[0-9][0-9][0-9][0-9]-*.patch 2>/dev/null | grep -v 0000-cover-letter)
echo "KTAP version 1"
echo "1..1"
echo "    # Subtest: quality-gates"
echo "    1..$(( $(wc -w <<<"$patches") + 2 ))"

for p in $patches; do
	out=$("$TREE/scripts/checkpatch.pl" --strict --no-tree -q --ignore MISSING_SIGN_OFF "$p" 2>&1)
	bad=$(grep -E '^(ERROR|WARNING|CHECK):' <<<"$out" | grep -v 'FILE_PATH_CHANGES\|does MAINTAINERS need updating' || true)
	# A "MAINTAINERS need updating" warning only stands when a new file
	# has no entry of its own (the catch-all ones do not count).
	for f in $(sed -n '/^--- \/dev\/null/{n;s|^+++ b/||p}' "$p"); do
		(cd "$TREE" && ./scripts/get_maintainer.pl --no-git --no-rolestats -f "$f" 2>/dev/null) |
			grep -qv 'THE REST\|LIBRARY CODE\|linux-kernel@vger' || bad="$bad no MAINTAINERS entry for $f"
	done
	if [ -z "$bad" ]; then result OK "checkpatch $(basename "$p")"; else
		result FAIL "checkpatch $(basename "$p")" "$(head -c 300 <<<"$bad" | tr '\n' ' ')"
		sed 's/^/    # /' <<<"$out" | head -30
	fi
done

if out=$(kmake "$BUILD/rust" rustfmtcheck 2>&1) && ! grep -q '^Diff in' <<<"$out"; then
	result OK rustfmtcheck
else
	result FAIL rustfmtcheck
	grep -v 'make\[' <<<"$out" | sed 's/^/    # /' | head -30
fi

# The whole kernel builds without a warning (C, rustc or clippy), so any
# warning in the build log is the series' doing.
warn=$(grep -E '(^|: )warning:' "$BUILD/rust/build.log" 2>/dev/null | head -3)
if [ -z "$warn" ]; then result OK "no-clippy-or-compiler-warnings"; else
	result FAIL "no-clippy-or-compiler-warnings" "$(head -1 <<<"$warn")"
	sed 's/^/    # /' <<<"$warn"
fi

echo "$([ $fail -eq 0 ] && echo ok || echo "not ok") 1 quality-gates"
exit $fail
