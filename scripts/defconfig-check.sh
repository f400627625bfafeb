#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# defconfig-check.sh: the series' objects and the Rust kernel crate, built
# on a real configuration (make defconfig-check): arm64 defconfig, with
# NR_CPUS as it sets it, plus Rust and every option of the series
# (configs/defconfig-series.config).  Builds only what it must, in
# $BUILD/defconfig, not a whole kernel: the Rust crates, the objects of the
# files the series adds or changes, with CLIPPY=1 and W=1.  The C driver
# and the C glue cannot be in one configuration (ARM_SDEI_NMI_RUST picks
# one), so arm_sdei_nmi.o is built in a second one without
# ARM_SDEI_NMI_RUST ($BUILD/defconfig-c), from the same defconfig.
# Prints KTAP; non-zero exit if a step fails or warns.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

[ -f "$TREE/Makefile" ] || die "no kernel tree at $TREE: run 'make tree'"
frag=$TOP/configs/defconfig-series.config
echo "KTAP version 1"
echo "1..2"
n=0 fail=0
result() {
	n=$((n + 1))
	if [ "$1" = ok ]; then echo "ok $n $2${3:+ # $3}"; else echo "not ok $n $2${3:+ # $3}"; fail=1; fi
}

# configure DIR [FRAGMENT...]: defconfig plus the fragments; fails (and
# says which) if Kconfig drops an option a fragment asks for.
configure() {
	local out=$1 f want sym
	shift
	mkdir -p "$out"
	kmake "$out" defconfig >"$out/config.log" 2>&1 || return 1
	(cd "$TREE" && ARCH=arm64 LLVM=$LLVM_SUFFIX scripts/kconfig/merge_config.sh -m -O "$out" \
		"$out/.config" "$@") >>"$out/config.log" 2>&1 || return 1
	kmake "$out" olddefconfig >>"$out/config.log" 2>&1 || return 1
	for f in "$@"; do
		while read -r want; do
			sym=${want%%=*}
			grep -qx "$want" "$out/.config" || { echo "$sym dropped by Kconfig"; return 1; }
		done < <(grep -E '^CONFIG_[A-Z0-9_]+=' "$f")
	done
}

# build DIR TARGET...: build the targets with CLIPPY=1 and W=1; prints the
# warnings that name a file of the series.
touched=$(git -C "$TREE" diff --name-only sdei-base HEAD)
build() {
	local out=$1 line file
	shift
	kmake "$out" CLIPPY=1 W=1 -j"$(nproc)" "$@" >"$out/build.log" 2>&1 || return 1
	# Rust: every warning is listed by rustc/clippy with its file.
	grep -E -A6 '^(warning|error)(\[[^]]*\])?: ' "$out/build.log" |
		grep -E '^\s*--> ' | sed 's|^\s*--> ||; s|^'"$TREE"'/||' | while read -r line; do
		grep -qx "${line%%:*}" <<<"$touched" && echo "$line"
	done
	grep -E '^[^ :]+:[0-9]+:[0-9]+: warning:' "$out/build.log" | while read -r line; do
		file=${line#"$TREE"/}
		grep -qx "${file%%:*}" <<<"$touched" && echo "$line"
	done
	return 0
}

# check NAME DIR FRAGMENT DETAIL TARGET...: configure DIR, build the
# targets, and report NAME's result; DETAIL goes before the time.
check() {
	local name=$1 out=$2 frag=$3 detail=$4 why ours t0
	shift 4
	t0=$(date +%s)
	if ! why=$(configure "$out" "$frag"); then
		result fail "$name" "configuration: $why (see $out/config.log)"
	elif ! ours=$(build "$out" "$@"); then
		result fail "$name" "build failed, see $out/build.log"
		grep -E 'error' "$out/build.log" | head -5 | sed 's/^/# /'
	elif [ -n "$ours" ]; then
		result fail "$name" "warnings from the series, see $out/build.log"
		head -5 <<<"$ours" | sed 's/^/# /'
	else
		result ok "$name" "NR_CPUS=$(sed -n 's/^CONFIG_NR_CPUS=//p' "$out/.config"), $detail in $(( $(date +%s) - t0 )) s, 0 warnings from the series"
	fi
}

# The objects of the files the series adds or changes, in this
# configuration; rust/ for the kernel crate and the helpers.
check defconfig-rust "$BUILD/defconfig" "$frag" "rust/ and the Rust driver, glue and watchdog.o" \
	rust/ drivers/firmware/arm_sdei_nmi_rust.o drivers/firmware/arm_sdei_nmi_glue.o \
	kernel/watchdog.o

fragc=$BUILD/defconfig-c.fragment
mkdir -p "$BUILD/defconfig-c"
grep -vE '^CONFIG_(ARM_SDEI_NMI_RUST|ARM_SDEI_NMI_WATCHDOG|HARDLOCKUP_DETECTOR_ARCH|ARM_SDEI_NMI_KUNIT_TEST)=' \
	"$frag" >"$fragc"
check defconfig-c "$BUILD/defconfig-c" "$fragc" "arm_sdei_nmi.o and watchdog.o" \
	drivers/firmware/arm_sdei_nmi.o kernel/watchdog.o
exit $fail
