#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the guest initramfs ($SDEI_CACHE/guest/base.cpio) from the arm64
# packages unpacked by setup and the payloads in guest/.  Rebuilt only when
# an input changes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

need aarch64-linux-gnu-readelf binutils-aarch64-linux-gnu
[ -f "$GUEST/sysroot/.complete" ] || die "guest packages missing: run 'make setup'"
key=$( (cat "$TOP"/guest/* "$TOP/scripts/guest.py"; ls -l "$GUEST/sysroot/.complete") | sha256sum | cut -c1-16)
if [ -f "$GUEST/base.cpio" ] && [ "$(cat "$GUEST/base.key" 2>/dev/null)" = "$key" ]; then
	log "guest initramfs up to date: $GUEST/base.cpio"
else
	step "guest initramfs" python3 "$TOP/scripts/guest.py" base "$GUEST/base.cpio.tmp" "$GUEST/sysroot" "$TOP/guest"
	mv "$GUEST/base.cpio.tmp" "$GUEST/base.cpio"
	echo "$key" >"$GUEST/base.key"
	ls -l "$GUEST/base.cpio" >&2
fi

# The series' kselftests, installed the kernel's way (kselftest install),
# for the scenario runner to put into the initramfs.
ksft=$GUEST/kselftest
if [ -d "$TREE/tools/testing/selftests/drivers/sdei_nmi" ]; then
	rm -rf "$ksft" "$ksft.build"
	make -s -C "$TREE/tools/testing/selftests" TARGETS=drivers/sdei_nmi ARCH=arm64 \
		O="$ksft.build" INSTALL_PATH="$ksft" install >"$GUEST/kselftest-install.log" 2>&1 ||
		{ cat "$GUEST/kselftest-install.log" >&2; die "kselftest install failed"; }
	log "kselftests installed: $ksft"
fi
