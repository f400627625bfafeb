#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench_nmi_build.sh: what make bench-nmi boots, in $CACHE/bench: the perf
# kernel (the C driver with CONFIG_ARM64_PSEUDO_NMI, configs/perf.config),
# bench/hotpath.c built static with the kernel's nolibc against the tree's
# UAPI headers, and bench/sdei_bench.c as a module of that kernel.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

need aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu
out=$CACHE/bench
mkdir -p "$out"
bash "$TOP/scripts/kernel.sh" perf
step "UAPI headers" make -s -C "$TREE" O="$out/hdr" ARCH=arm64 \
	INSTALL_HDR_PATH="$out/sysroot" headers_install
step "hotpath (nolibc)" aarch64-linux-gnu-gcc -Os -Wall -Werror -static -nostdlib -nostdinc \
	-fno-stack-protector -fno-asynchronous-unwind-tables \
	-I "$TREE/tools/include/nolibc" -I "$out/sysroot/include" -include nolibc.h \
	"$TOP/bench/hotpath.c" -lgcc -o "$out/hotpath"
rm -rf "$out/mod"
mkdir -p "$out/mod"
cp "$TOP/bench/sdei_bench.c" "$TOP/bench/Kbuild" "$out/mod/"
step "sdei_bench.ko" kmake "$BUILD/perf" M="$out/mod" modules >"$out/mod.log" 2>&1 ||
	{ tail -20 "$out/mod.log" >&2; die "sdei_bench.ko failed to build"; }
ls -l "$out/hotpath" "$out/mod/sdei_bench.ko" >&2
