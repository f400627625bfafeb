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

need clang$LLVM_SUFFIX clang-19
need ld.lld$LLVM_SUFFIX lld-19
need bindgen "bindgen-cli (cargo)"
need ccache ccache
[ -f "$TREE/Makefile" ] || die "no kernel tree at $TREE: run 'make tree'"

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
	# perf is the c variant with other detectors: nearest to c.
	seeds="rust c watchdog kunit"
	[ "$variant" = perf ] && seeds="c rust watchdog kunit"
	for s in ${SEED:-$seeds}; do
		[ "$BUILD/$s" != "$out" ] && [ -f "$BUILD/$s/.built" ] &&
			[ "$(cat "$BUILD/$s/.kcc" 2>/dev/null)" = "$KCC" ] || continue
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
	(cd "$TREE" && ARCH=arm64 LLVM=$LLVM_SUFFIX \
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

hash=$( (cat "${frags[@]}"; git -C "$TREE" config --default none sdei.source) | sha256sum | cut -c1-16)
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
step "build kernel ($variant) in $out" build
# A finished build, which a new build directory may start from.
echo "$KCC" >"$out/.kcc"
touch "$out/.built"
ls -l "$out/arch/arm64/boot/Image" >&2
