#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kernel.sh [VARIANT]: configure and build the arm64 kernel in
# $BUILD/VARIANT (O= build, outside the source tree) from allnoconfig plus
# configs/qemu-sdei.config plus configs/VARIANT.config when it exists.
# Rebuilds are incremental: the config is regenerated only when a fragment
# changes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

variant=${1:-${VARIANT:-rust}}
# VARIANT-nofix: VARIANT without the hotplug-window fix (scripts/nofix.sh).
case $variant in *-nofix) exec bash "$(dirname "$0")/nofix.sh" "${variant%-nofix}" ;; esac
# KERNEL_DIR: the build directory's name under $BUILD (default: the variant;
# scripts/nofix.sh builds VARIANT into VARIANT-nofix).
out=$BUILD/${KERNEL_DIR:-$variant}
frags=("$TOP/configs/qemu-sdei.config")
[ -f "$TOP/configs/$variant.config" ] && frags+=("$TOP/configs/$variant.config")
# The source: the C-only series for c and perf, the whole stack otherwise.
SRC=${SRC:-$(tree_of "$variant")}
export SRC

need clang$LLVM_SUFFIX clang-19
need ld.lld$LLVM_SUFFIX lld-19
need bindgen "bindgen-cli (cargo)"
need ccache ccache
[ -f "$SRC/Makefile" ] || die "no kernel tree at $SRC: run 'make tree'"

# A new build directory starts as a copy of a finished one, the nearest
# variant first: kbuild then rebuilds only the objects that read an option
# the two configurations set differently (fixdep records, for each object,
# the options it reads), and the Rust crates (their flags carry the build
# directory, and every option).  SEED=none builds from scratch.
# A directory built with another C compiler command (by an older harness:
# .kcc says which) would have every C object rebuilt by kbuild: it starts
# over from a seed too.
stale=0
[ -f "$out/.config" ] && [ "$(cat "$out/.kcc" 2>/dev/null)" != "$KCC" ] && stale=1
if { [ ! -f "$out/.config" ] || [ $stale = 1 ]; } && [ "${SEED:-}" != none ]; then
	# Only a build of the same source tree: another path rebuilds everything.
	# perf is the c variant with other detectors: nearest to c.
	seeds="rust watchdog kunit"
	[ "$SRC" = "$CTREE" ] && seeds="c perf"
	for s in ${SEED:-$seeds}; do
		[ "$BUILD/$s" != "$out" ] && [ -f "$BUILD/$s/.built" ] &&
			[ "$(cat "$BUILD/$s/.kcc" 2>/dev/null)" = "$KCC" ] &&
			[ "$(cat "$BUILD/$s/.src" 2>/dev/null)" = "$SRC" ] || continue
		rm -rf "$out" "$out.seed"
		step "seed $variant from the $s build" cp -a "$BUILD/$s" "$out.seed"
		rm -f "$out.seed/.built" "$out.seed/.fragments"
		mv "$out.seed" "$out"
		break
	done
fi
mkdir -p "$out"

configure() {
	# allnoconfig, then the fragments; olddefconfig resolves the rest.
	(cd "$SRC" && ARCH=arm64 LLVM=$LLVM_SUFFIX \
		scripts/kconfig/merge_config.sh -n -O "$out" "${frags[@]}" >"$out/merge.log" 2>&1) || {
		tail -20 "$out/merge.log" >&2
		return 1
	}
	kmake "$out" olddefconfig >/dev/null
	# merge_config only warns when Kconfig drops a requested option; a
	# dropped option here means a broken harness, so fail and name it.
	# A later fragment overrides an earlier one, as in merge_config.
	local bad=0 line sym
	local -A want=()
	while read -r line; do
		case $line in
		CONFIG_*=*) want[${line%%=*}]=$line ;;
		"# CONFIG_"*" is not set") sym=${line#\# }; want[${sym%% *}]=$line ;;
		esac
	done < <(cat "${frags[@]}")
	for sym in "${!want[@]}"; do
		line=${want[$sym]}
		case $line in
		"# "*) grep -q "^$sym=" "$out/.config" || continue ;;
		*) grep -qx "$line" "$out/.config" && continue ;;
		esac
		echo "config: $line requested, got: $(grep -E "^(# )?$sym[= ]" "$out/.config" || echo unset)" >&2
		bad=1
	done
	return $bad
}

hash=$( (cat "${frags[@]}"; git -C "$SRC" config --default none sdei.source) | sha256sum | cut -c1-16)
if [ "$(cat "$out/.fragments" 2>/dev/null)" != "$hash" ] || [ ! -f "$out/.config" ]; then
	step "configure $variant" configure
	echo "$hash" >"$out/.fragments"
fi

kmake "$out" -s rustavailable >/dev/null 2>&1 || {
	kmake "$out" rustavailable >&2 || true
	die "Rust is not available for this kernel build (run 'make setup')"
}
# The Rust variants are always built through clippy (CLIPPY=1): its lints
# are part of the quality gates (scripts/check.sh reads build.log).
lint=()
[ "$variant" != c ] && lint=(CLIPPY=1)
# kunit.py runs the KUnit kernel from Image.gz.
targets=(Image)
[ "$variant" = kunit ] && targets+=(Image.gz)
# test_lockup.ko (configs/qemu-sdei.config), put into the guest by the
# scenarios that need it.
grep -q '^CONFIG_MODULES=y' "$out/.config" && targets+=(modules)
build() {
	kmake "$out" "${lint[@]}" -j"$(nproc)" "${targets[@]}" >"$out/build.log" 2>&1 || {
		grep -E 'error|Error' "$out/build.log" | head -20 >&2
		tail -20 "$out/build.log" >&2
		return 1
	}
}
rm -f "$out/.built"
# The C-only kernel: series 1 (the first of patches/series) alone on v7.3
# is built first, in the same directory, whenever it changed since it was
# last built; then the C-only series on top, which rebuilds only what the
# later series touch.
if [ "$variant" = c ] && [ "$SRC" = "$CTREE" ] && [ -z "${KERNEL_DIR:-}" ]; then
	first=$(grep -v '^\s*\(#\|$\)' "$TOP/patches/series" | awk 'NR == 1 { print $1 }')
	c1=$(git -C "$SRC" rev-parse "sdei/$first")
	chead=$(git -C "$SRC" rev-parse HEAD)
	if [ "$(cat "$out/.series1" 2>/dev/null)" != "$c1" ]; then
		git -C "$SRC" checkout -q --detach "$c1"
		if step "build kernel (c) with series $first alone on v7.3" build; then
			cp "$out/build.log" "$out/build-series1.log"
			echo "$c1" >"$out/.series1"
		else
			git -C "$SRC" checkout -q -f c-only
			die "series $first alone on v7.3 does not build"
		fi
		git -C "$SRC" checkout -q -f c-only
		[ "$(git -C "$SRC" rev-parse HEAD)" = "$chead" ] || die "$SRC moved during the build"
	else
		log "series $first alone on v7.3: built before at $(git -C "$SRC" rev-parse --short "$c1")"
	fi
fi
step "build kernel ($variant) in $out" build
# A finished build, which a new build directory may start from.
echo "$KCC" >"$out/.kcc"
echo "$SRC" >"$out/.src"
git -C "$SRC" log -1 --format='%H %s' >"$out/.head"
touch "$out/.built"
ls -l "$out/arch/arm64/boot/Image" >&2
