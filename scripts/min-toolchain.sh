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
# rustdoc.  trixie's rustc uses LLVM 19, as its clang does, so the same
# configuration is built again with CONFIG_RUST_INLINE_HELPERS
# ($BUILD/min-toolchain-inline, seeded from the first), which the
# toolchain used elsewhere here (rustc 1.95, LLVM 22, with clang 19)
# cannot; the SDEI handler path of both kernels is derived from their
# vmlinux (sdei_nmi_handler_path.py).  A warning counts against the series
# when it points at a file the series touches (toolchain_warnings.py);
# v7.3's own with this toolchain are counted and listed.  Prints KTAP;
# non-zero exit if a step fails or the series warns.
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

inline=$BUILD/min-toolchain-inline
rinl=$BUILD/min-toolchain-rust-inline
mkdir -p "$out" "$inline" "$ROOT/src/linux" "$ROOT/build" "$ROOT/build-inline" "$ROOT/build-rust-inline" "$ROOT/configs"
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
kmk_inline() { in_root make O=/build-inline ARCH=arm64 LLVM=1 "$@"; }
kmk_rinl() { in_root make O=/build-rust-inline ARCH=arm64 LLVM=1 "$@"; }

echo "KTAP version 1"
echo "1..7"
n=0 fail=0
result() {
	n=$((n + 1))
	if [ "$1" = ok ]; then echo "ok $n $2${3:+ # $3}"; else echo "not ok $n $2${3:+ # $3}"; fail=1; fi
}
# warnings LOG NAME: the series' and v7.3's own warnings in LOG, sorted.
touched_file=$out/touched.txt
git -C "$TREE" diff --name-only sdei-base HEAD >"$touched_file"
warnings() {
	python3 "$TOP/scripts/toolchain_warnings.py" "$1" "$2" "$touched_file" >"$1.sorted"
}
v73() { grep -c '^v7.3: ' "$1.sorted" || true; }
series() { grep '^series: ' "$1.sorted" | head -5 | sed 's/^/# /'; }

versions=$(in_root bash -c 'rustc --version; bindgen --version; clang --version | head -1' | tr '\n' ';')
in_root env ARCH=arm64 LLVM=1 scripts/kconfig/merge_config.sh -n -O /build \
	/configs/qemu-sdei.config /configs/kunit.config >"$out/merge.log" 2>&1
kmk olddefconfig >/dev/null
# Kconfig drops what the toolchain cannot build (CONFIG_RUST, if rustc or
# bindgen is not usable): then nothing of the series would be built.
for sym in CONFIG_RUST CONFIG_ARM_SDEI_NMI_RUST CONFIG_ARM_SDEI_NMI_WATCHDOG CONFIG_ARM_SDEI_NMI_KUNIT_TEST; do
	grep -qx "$sym=y" "$out/.config" || die "$sym is not set with this toolchain (see $out/merge.log)"
done
if kmk rustavailable >"$out/rustavailable.log" 2>&1; then
	result ok rustavailable "$versions"
else
	result fail rustavailable "$(tail -3 "$out/rustavailable.log" | tr '\n' ' ')"
fi
t0=$(date +%s)
if kmk CLIPPY=1 -j"$(nproc)" Image >"$out/build.log" 2>&1; then
	rust=$(grep -cE '^  (RUSTC|CLIPPY)' "$out/build.log" || true)
	if warnings "$out/build.log" "$out"; then
		result ok build-clippy "$(( $(date +%s) - t0 )) s, $rust Rust objects, 0 warnings from the series; $(v73 "$out/build.log") in v7.3's own files"
	else
		result fail build-clippy "warnings from the series, see $out/build.log"
		series "$out/build.log"
	fi
	sed -n 's/^v7.3: /# v7.3, not the series: /p' "$out/build.log.sorted"
else
	result fail build-clippy "see $out/build.log"
	grep -E 'error' "$out/build.log" | head -5 | sed 's/^/# /'
fi
# Fails on any file to reformat, v7.3's own included: the log says whose.
kmk rustfmtcheck >"$out/rustfmt.log" 2>&1 || true
if warnings "$out/rustfmt.log" "$out"; then
	result ok rustfmtcheck "0 files of the series to reformat; $(v73 "$out/rustfmt.log") places in v7.3's own files"
else
	result fail rustfmtcheck "see $out/rustfmt.log"
	series "$out/rustfmt.log"
fi
if kmk rustdoc >"$out/rustdoc.log" 2>&1 && warnings "$out/rustdoc.log" "$out"; then
	result ok rustdoc-no-warnings "$(v73 "$out/rustdoc.log") in v7.3's own files"
else
	result fail rustdoc-no-warnings "see $out/rustdoc.log"
	series "$out/rustdoc.log"
fi

# The same configuration with the C helpers inlined into Rust, from a copy
# of the finished build directory: kbuild rebuilds what the two options
# change.
if [ ! -f "$inline/.config" ] && [ -f "$out/vmlinux" ]; then
	rm -rf "$inline" && cp -a "$out" "$inline"
fi
bind "$inline" "$ROOT/build-inline"
cp "$out/.config" "$inline/.config"
cat >>"$inline/.config" <<'CFG'
CONFIG_EXPERT=y
CONFIG_RUST_INLINE_HELPERS=y
CFG
kmk_inline olddefconfig >/dev/null 2>&1
t0=$(date +%s)
if ! grep -qx CONFIG_RUST_INLINE_HELPERS=y "$inline/.config"; then
	result fail build-inline-helpers "CONFIG_RUST_INLINE_HELPERS not set (rustc and clang LLVM versions differ?)"
elif kmk_inline CLIPPY=1 -j"$(nproc)" Image >"$inline/build.log" 2>&1; then
	if warnings "$inline/build.log" "$inline"; then
		result ok build-inline-helpers "$(( $(date +%s) - t0 )) s, 0 warnings from the series; $(v73 "$inline/build.log") in v7.3's own files"
	else
		result fail build-inline-helpers "warnings from the series, see $inline/build.log"
		series "$inline/build.log"
	fi
else
	result fail build-inline-helpers "see $inline/build.log"
	grep -E 'error' "$inline/build.log" | head -5 | sed 's/^/# /'
fi

# What the SDEI handler calls, in both: only the callback may be Rust (the
# handler and the operations it uses are inlined into it); everything else
# is C, and sdei_nmi_kprobe.sh checks it against the kprobe blacklist.
hp=$TREE/tools/testing/selftests/drivers/sdei_nmi/sdei_nmi_handler_path.py
ok=1 detail=""
for d in "$out" "$inline"; do
	if ! python3 "$hp" --objdump "llvm-objdump$LLVM_SUFFIX" --nm "llvm-nm$LLVM_SUFFIX" \
		"$d/vmlinux" >"$d/handler-path.txt" 2>&1; then
		ok=0; detail="$detail $(basename "$d"): no path;"; continue
	fi
	callees=$(awk '$1 ~ /^[1-9]/ { print $2 }' "$d/handler-path.txt" | sort | tr '\n' ' ')
	rust=$(awk '$1 ~ /^[1-9]/ && $2 ~ /^_R/' "$d/handler-path.txt" | wc -l)
	[ "$rust" -eq 0 ] && ! grep -q '^indirect' "$d/handler-path.txt" || ok=0
	echo "# $(basename "$d"): the handler calls $callees"
done
if [ "$ok" -eq 1 ]; then
	result ok handler-path "only the callback is Rust, no indirect call, in both builds"
else
	result fail handler-path "a Rust function or an indirect call on the path:$detail see */handler-path.txt"
fi

# The rust variant's service objects with the helpers inlined, for make
# figures (the size and handler path without the helper calls): the rust
# variant's configuration, from a copy of the inline build directory.
if [ ! -f "$rinl/.config" ] && [ -f "$inline/vmlinux" ]; then
	rm -rf "$rinl" && cp -a "$inline" "$rinl"
fi
bind "$rinl" "$ROOT/build-rust-inline"
printf 'CONFIG_EXPERT=y\nCONFIG_RUST_INLINE_HELPERS=y\n' >"$rinl/inline.config"
in_root env ARCH=arm64 LLVM=1 scripts/kconfig/merge_config.sh -n -O /build-rust-inline \
	/configs/qemu-sdei.config /configs/rust.config /build-rust-inline/inline.config \
	>"$rinl/merge.log" 2>&1
kmk_rinl olddefconfig >/dev/null 2>&1
objs="drivers/firmware/arm_sdei_nmi_rust.o drivers/firmware/arm_sdei_nmi_glue.o"
if ! grep -qx CONFIG_RUST_INLINE_HELPERS=y "$rinl/.config" ||
	grep -qx CONFIG_ARM_SDEI_NMI_KUNIT_TEST=y "$rinl/.config"; then
	result fail rust-variant-inline-helpers "not the rust variant with inlined helpers (see $rinl/merge.log)"
elif kmk_rinl CLIPPY=1 -j"$(nproc)" $objs >"$rinl/build.log" 2>&1 &&
	warnings "$rinl/build.log" "$rinl"; then
	result ok rust-variant-inline-helpers "the rust variant's service objects in $rinl, for make figures"
else
	result fail rust-variant-inline-helpers "see $rinl/build.log"
	series "$rinl/build.log"
fi
exit $fail
