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
in_root scripts/kconfig/merge_config.sh -n -O /build /configs/qemu-sdei.config /configs/kunit.config \
	>"$out/merge.log" 2>&1
kmk olddefconfig >/dev/null
if kmk rustavailable >"$out/rustavailable.log" 2>&1; then
	result ok rustavailable "$versions"
else
	result fail rustavailable "$(tail -3 "$out/rustavailable.log" | tr '\n' ' ')"
fi
t0=$(date +%s)
if kmk CLIPPY=1 -j"$(nproc)" Image >"$out/build.log" 2>&1; then
	warn=$(grep -cE '(^|: )warning' "$out/build.log" || true)
	if [ "$warn" -eq 0 ]; then
		result ok build-clippy "$(( $(date +%s) - t0 )) s, 0 warnings"
	else
		result fail build-clippy "$warn warnings, see $out/build.log"
		grep -E '(^|: )warning' "$out/build.log" | head -5 | sed 's/^/# /'
	fi
else
	result fail build-clippy "see $out/build.log"
	grep -E 'error' "$out/build.log" | head -5 | sed 's/^/# /'
fi
if kmk rustfmtcheck >"$out/rustfmt.log" 2>&1; then
	result ok rustfmtcheck
else
	result fail rustfmtcheck "see $out/rustfmt.log"
fi
if kmk rustdoc >"$out/rustdoc.log" 2>&1 && ! grep -qE '(^|: )warning' "$out/rustdoc.log"; then
	result ok rustdoc-no-warnings
else
	result fail rustdoc-no-warnings "see $out/rustdoc.log"
fi
exit $fail
