#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# min-toolchain.sh: build the series with the kernel's minimum Rust
# toolchain (make min-toolchain).
#
# Debian trixie ships rustc 1.85.1 (the kernel's minimum is 1.85), its
# rust-src, clippy and rustfmt, and bindgen 0.71.1, with LLVM 19.  They run
# here in a trixie chroot made with debootstrap from Debian's archive
# ($SDEI_CACHE/trixie, made once).  The kernel tree and a build directory
# of its own ($BUILD/min-toolchain) are bind-mounted into it, and the
# kunit variant's configuration is built (every option of the series, the
# KUnit tests and the doc examples) with CLIPPY=1, then rustfmtcheck and
# rustdoc.  Prints KTAP; non-zero exit if a step fails or warns.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ROOT=$CACHE/trixie
out=$BUILD/min-toolchain
PKGS=rustc,rust-src,rust-clippy,rustfmt,bindgen,clang,lld,llvm,libclang-dev,make,bc,bison,flex,python3,cpio,xz-utils,libelf-dev
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

[ "$(id -u)" -eq 0 ] || die "min-toolchain.sh needs root (debootstrap, chroot and bind mounts)"
[ -f "$TREE/Makefile" ] || die "no kernel tree at $TREE: run 'make tree'"

if [ ! -f "$ROOT/.ready" ]; then
	command -v debootstrap >/dev/null || step "install debootstrap" apt-get install -y -q debootstrap
	rm -rf "$ROOT"
	step "debootstrap trixie into $ROOT" \
		debootstrap --variant=minbase --include="$PKGS" trixie "$ROOT" "$MIRROR"
	touch "$ROOT/.ready"
fi

mkdir -p "$out" "$ROOT/src/linux" "$ROOT/build" "$ROOT/configs"
mounts=()
cleanup() {
	local m
	for m in "${mounts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" || true; done
}
trap cleanup EXIT
bind() { mount --bind "$1" "$2"; mounts=("$2" "${mounts[@]}"); }
bind "$TREE" "$ROOT/src/linux"
bind "$out" "$ROOT/build"
bind "$TOP/configs" "$ROOT/configs"
mount -t proc proc "$ROOT/proc"
mounts=("$ROOT/proc" "${mounts[@]}")

# in_root CMD...: run CMD in the chroot, in the kernel tree.
in_root() { chroot "$ROOT" env -i PATH=/usr/bin:/bin HOME=/root LANG=C.UTF-8 bash -c 'cd /src/linux && "$@"' _ "$@"; }
kmk() { in_root make O=/build ARCH=arm64 LLVM=1 "$@"; }

echo "KTAP version 1"
echo "1..4"
n=0 fail=0
result() {
	n=$((n + 1))
	if [ "$1" = ok ]; then echo "ok $n $2${3:+ # $3}"; else echo "not ok $n $2${3:+ # $3}"; fail=1; fi
}

versions=$(in_root bash -c 'rustc --version; bindgen --version; clang --version | head -1' | tr '\n' ';')
in_root env ARCH=arm64 LLVM=1 scripts/kconfig/merge_config.sh -n -O /build \
	/configs/qemu-sdei.config /configs/kunit.config >"$out/merge.log" 2>&1
kmk olddefconfig >/dev/null
# Kconfig drops what the toolchain cannot build (CONFIG_RUST, if rustc or
# bindgen is not usable): then nothing of the series would be built.
for sym in CONFIG_RUST CONFIG_ARM_SDEI_NMI_RUST CONFIG_ARM_SDEI_NMI_WATCHDOG CONFIG_ARM_SDEI_NMI_KUNIT_TEST; do
	grep -qx "$sym=y" "$out/.config" || die "$sym is not set with this toolchain (see $out/merge.log)"
done
# A warning counts against the series if it is Rust's (rustc, clippy) or
# in a C file the series touches; a C warning elsewhere is v7.3's own
# with this compiler, and is listed.
touched=$(git -C "$TREE" diff --name-only sdei-base HEAD)
series_warnings() {
	local log=$1 line file
	grep -E '^(warning|error)(\[|:)' "$log" || true
	grep -E '^/src/linux/[^:]+:[0-9]+:[0-9]+: warning:' "$log" | while read -r line; do
		file=${line#/src/linux/}
		file=${file%%:*}
		grep -qx "$file" <<<"$touched" && echo "$line"
	done
}
other_warnings() {
	grep -E '^/src/linux/[^:]+:[0-9]+:[0-9]+: warning:' "$1" | while read -r line; do
		file=${line#/src/linux/}
		file=${file%%:*}
		grep -qx "$file" <<<"$touched" || echo "$line"
	done
}
if kmk rustavailable >"$out/rustavailable.log" 2>&1; then
	result ok rustavailable "$versions"
else
	result fail rustavailable "$(tail -3 "$out/rustavailable.log" | tr '\n' ' ')"
fi
t0=$(date +%s)
if kmk CLIPPY=1 -j"$(nproc)" Image >"$out/build.log" 2>&1; then
	ours=$(series_warnings "$out/build.log")
	theirs=$(other_warnings "$out/build.log")
	rust=$(grep -cE '^  (RUSTC|CLIPPY)' "$out/build.log" || true)
	if [ -z "$ours" ]; then
		result ok build-clippy "$(( $(date +%s) - t0 )) s, $rust Rust objects, 0 warnings from the series; $(grep -c . <<<"$theirs" || true) in v7.3's own files"
	else
		result fail build-clippy "warnings from the series, see $out/build.log"
		head -5 <<<"$ours" | sed 's/^/# /'
	fi
	[ -z "$theirs" ] || sed 's/^/# v7.3, not the series: /' <<<"$theirs"
else
	result fail build-clippy "see $out/build.log"
	grep -E 'error' "$out/build.log" | head -5 | sed 's/^/# /'
fi
if kmk rustfmtcheck >"$out/rustfmt.log" 2>&1; then
	result ok rustfmtcheck
else
	result fail rustfmtcheck "see $out/rustfmt.log"
fi
if kmk rustdoc >"$out/rustdoc.log" 2>&1 && [ -z "$(series_warnings "$out/rustdoc.log")" ]; then
	result ok rustdoc-no-warnings
else
	result fail rustdoc-no-warnings "see $out/rustdoc.log"
fi
exit $fail
