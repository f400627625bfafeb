#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Quality gates on the series, printed as KTAP:
#  - checkpatch.pl --strict on every patch: no errors, and no warnings but
#    the "does MAINTAINERS need updating?" kind for files that a
#    MAINTAINERS entry does cover.  Missing Signed-off-by is ignored: the
#    patches carry the project identity and the submitter signs off.
#  - rustfmtcheck.
#  - no compiler or clippy warning in the build logs of the rust and kunit
#    variants (both built with CLIPPY=1).
#  - W=1: no warning naming a file the series touches.
#  - make rustdoc: no warning.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

n=0 fail=0
result() {	# result OK|FAIL NAME [DETAIL]
	n=$((n + 1))
	if [ "$1" = OK ]; then echo "    ok $n $2${3:+ # $3}"; else echo "    not ok $n $2${3:+ # $3}"; fail=1; fi
}

# Every patch of every series (patches/SERIES/NNNN-*.patch).
patches=$(ls "$TOP"/patches/*/[0-9][0-9][0-9][0-9]-*.patch 2>/dev/null | grep -v 0000-cover-letter)
echo "KTAP version 1"
echo "1..1"
echo "    # Subtest: quality-gates"
echo "    1..$(( $(wc -w <<<"$patches") + 4 ))"

for p in $patches; do
	# UNKNOWN_COMMIT_ID: a Fixes: tag names an upstream commit, which the
	# tree's base (an import of Debian's source, without history) lacks.
	out=$("$TREE/scripts/checkpatch.pl" --strict --no-tree -q --ignore MISSING_SIGN_OFF \
		--ignore UNKNOWN_COMMIT_ID "$p" 2>&1)
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
# warning in a build log is the series' doing.  The Rust variants (rust,
# kunit, watchdog) are built with CLIPPY=1, c and perf without.  Every log
# counts: a build directory seeded from another one (kernel.sh) compiles
# only what differs, so the C objects all variants share are compiled, and
# warned about, in the first build only.
logs=("$BUILD/rust/build.log")
for v in c kunit watchdog perf; do
	[ -f "$BUILD/$v/build.log" ] && logs+=("$BUILD/$v/build.log")
done
# The c kernel's build of series 1 alone on v7.3 (kernel.sh).
[ -f "$BUILD/c/build-series1.log" ] && logs+=("$BUILD/c/build-series1.log")
warn=$(grep -HE '(^|: )warning:' "${logs[@]}" 2>/dev/null | head -3)
if [ -z "$warn" ]; then result OK "no-clippy-or-compiler-warnings"; else
	result FAIL "no-clippy-or-compiler-warnings" "$(head -1 <<<"$warn")"
	sed 's/^/    # /' <<<"$warn"
fi

# Files the series touches: a warning elsewhere is not the series' doing.
touched=$(git -C "$TREE" diff --name-only sdei-base HEAD 2>/dev/null)
ours() {	# warnings (with 3 lines of context, for rustc's "--> file") naming a touched file
	local pat
	pat=$(printf '%s\n' $touched | sed 's/[.]/\\./g' | paste -sd'|')
	[ -n "$pat" ] || return 0
	grep -A3 -E '(^|: )warning' "$1" | grep -E "$pat" | head -5
}

# W=1: the series' directories and the kernel crate built with extra
# warnings, in a build directory of their own (the kunit variant's config:
# every option of the series on), so the other builds keep their flags.
w1=$BUILD/w1
# A new W=1 directory starts as a copy of the kunit build (as kernel.sh
# seeds its build directories): only what W=1 rebuilds is compiled.
if [ ! -f "$w1/.config" ] && [ -f "$BUILD/kunit/.built" ]; then
	rm -rf "$w1" "$w1.seed"
	cp -a "$BUILD/kunit" "$w1.seed" && rm -f "$w1.seed/.built" && mv "$w1.seed" "$w1"
fi
mkdir -p "$w1"
cmp -s "$BUILD/kunit/.config" "$w1/.config" || cp "$BUILD/kunit/.config" "$w1/.config"
if kmake "$w1" W=1 olddefconfig >/dev/null 2>&1 &&
	kmake "$w1" W=1 -j"$(nproc)" drivers/firmware/ >"$w1/build.log" 2>&1; then
	warn=$(ours "$w1/build.log")
	if [ -z "$warn" ]; then result OK "w1-no-new-warnings"; else
		result FAIL "w1-no-new-warnings" "$(head -1 <<<"$warn")"
		sed 's/^/    # /' <<<"$warn" | head -10
	fi
else
	result FAIL "w1-no-new-warnings" "W=1 build failed"
	tail -20 "$w1/build.log" | sed 's/^/    # /'
fi

# rustdoc: the kernel crate's documentation, the series' modules included.
# make rustdoc documents every crate again each time (~90 s): a clean
# result is kept with the inputs it was made from (tree commit, config,
# toolchain) and stands while they do; a tree with uncommitted edits is
# always documented again.
rustdoc_key() {
	[ -z "$(git -C "$TREE" status --porcelain --untracked-files=no 2>/dev/null)" ] || return 1
	{ git -C "$TREE" rev-parse HEAD; cat "$BUILD/kunit/.config"; rustc --version; rustdoc --version
	  echo "$RUST_LIB_SRC"; } | sha256sum | cut -c1-16
}
key=$(rustdoc_key) || key=
stamp=$BUILD/kunit/rustdoc.ok
if [ -n "$key" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$key" ]; then
	result OK rustdoc-no-warnings "same tree, config and toolchain as the last clean run ($(date -r "$stamp" -u +%FT%TZ))"
elif rm -f "$stamp" && kmake "$BUILD/kunit" rustdoc >"$BUILD/kunit/rustdoc.log" 2>&1; then
	warn=$(grep -E '(^|: )warning' "$BUILD/kunit/rustdoc.log" | head -3)
	if [ -z "$warn" ]; then
		result OK "rustdoc-no-warnings"
		[ -n "$key" ] && echo "$key" >"$stamp"
	else
		result FAIL "rustdoc-no-warnings" "$(head -1 <<<"$warn")"
		grep -A8 -E '(^|: )warning' "$BUILD/kunit/rustdoc.log" | head -20 | sed 's/^/    # /'
	fi
else
	result FAIL "rustdoc-no-warnings" "make rustdoc failed"
	tail -20 "$BUILD/kunit/rustdoc.log" | sed 's/^/    # /'
fi

echo "$([ $fail -eq 0 ] && echo ok || echo "not ok") 1 quality-gates"
exit $fail
