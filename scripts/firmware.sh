#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build TF-A (BL1/BL2/BL31) for QEMU virt with SDEI from Debian's
# arm-trusted-firmware source.  BL33 is our kernel, preloaded by QEMU at
# 0x40200000.  The flash image is cached by the source version and flags.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

BL33_BASE=0x40200000
FLAGS=(PLAT=qemu DEBUG=0 LOG_LEVEL=40 QEMU_USE_GIC_DRIVER=QEMU_GICV3
	SDEI_SUPPORT=1 EL3_EXCEPTION_HANDLING=1
	ARM_LINUX_KERNEL_AS_BL33=1 PRELOADED_BL33_BASE=$BL33_BASE)

# FW_FLAVOUR: stock (default): Debian's source as it is; trace: plus a
# console line each time event 0 meets a masked PE; fixed: event 0 at a
# masked PE is ended and kept pending until the PE is unmasked; nosignal:
# SDEI_EVENT_SIGNAL succeeds and delivers nothing (test firmware).  The
# patches are in firmware/; each flavour is linked as $FW/FLAVOUR
# (stock also as $FW/current), which is where vm.py looks.
flavour=${FW_FLAVOUR:-stock}
case $flavour in
stock) patch= ;;
trace | fixed | nosignal) patch=$TOP/firmware/tf-a-$flavour.patch ;;
*) die "FW_FLAVOUR must be stock, trace, fixed or nosignal, not '$flavour'" ;;
esac

need aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu
need patch patch
src=$(ls -d "$DL"/arm-trusted-firmware-*/ 2>/dev/null | head -1 || true)
[ -n "$src" ] || die "no TF-A source: run 'make setup' first"
key=$( (basename "$src"; echo "${FLAGS[*]}"; [ -z "$patch" ] || cat "$patch") |
	sha256sum | cut -c1-12)
out=$FW/$key
if [ -f "$out/flash.bin" ]; then
	log "firmware ($flavour) up to date: $out/flash.bin"
else
	build() {
		rm -rf "$out"
		mkdir -p "$out"
		if [ -n "$patch" ]; then
			# A linked copy: patch writes each file it changes anew,
			# so the unpacked source stays as it is.
			cp -al "$src" "$out/src"
			patch -s -p1 -d "$out/src" <"$patch" || return 1
			src=$out/src/
		fi
		make -C "$src" -j"$(nproc)" CROSS_COMPILE=aarch64-linux-gnu- \
			BUILD_BASE="$out/build" "${FLAGS[@]}" all fip >"$out/build.log" 2>&1 || {
			tail -30 "$out/build.log" >&2
			return 1
		}
		local rel=$out/build/qemu/release
		dd if="$rel/bl1.bin" of="$out/flash.tmp" bs=4096 conv=notrunc status=none
		dd if="$rel/fip.bin" of="$out/flash.tmp" seek=64 bs=4096 conv=notrunc status=none
		mv "$out/flash.tmp" "$out/flash.bin"
	}
	step "TF-A $(basename "$src") $flavour (SDEI, GICv3, BL33 at $BL33_BASE)" build
fi
ln -sfn "$out" "$FW/$flavour"
[ "$flavour" = stock ] && ln -sfn "$out" "$FW/current"
exit 0
