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
#    variant is built with CLIPPY=1) for a file the series touches.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

n=0 fail=0
result() {	# result OK|FAIL NAME [DETAIL]
	n=$((n + 1))
	if [ "$1" = OK ]; then echo "    ok $n $2"; else echo "    not ok $n $2${3:+ # $3}"; fail=1; fi
}

patches=$(ls "$TOP"/patches/[0-9][0-9][0-9][0-9]-*.patch 2>/dev/null | grep -v 0000-cover-letter)
files=$(cat $patches /dev/null | sed -n 's|^+++ b/||p' | sort -u)
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

warn=""
for f in $files; do
	grep -A3 -E '^(warning|error)' "$BUILD/rust/build.log" 2>/dev/null | grep -q -- "--> $f" && warn="$warn $f"
done
grep -E '^warning: .*(arm_sdei_nmi|kernel::(sdei|nmi|ptrace|cpumask))' "$BUILD/rust/build.log" >/dev/null 2>&1 &&
	warn="$warn (see build.log)"
if [ -z "$warn" ]; then result OK "no-clippy-or-compiler-warnings"; else
	result FAIL "no-clippy-or-compiler-warnings" "in$warn"
fi

echo "$([ $fail -eq 0 ] && echo ok || echo "not ok") 1 quality-gates"
exit $fail
