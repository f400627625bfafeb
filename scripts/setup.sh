#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Idempotent setup: host packages, toolchain, and cached sources.
# Everything the harness needs is installed or fetched here; nothing by hand.
# Caches live in $SDEI_CACHE (default ~/.cache/sdei-nmi-rs).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

HOST_PKGS=(
	clang-19 lld-19 llvm-19 libclang-19-dev ccache
	gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu
	qemu-system-arm device-tree-compiler
	make bc bison flex libssl-dev libelf-dev cpio xz-utils rsync
	dpkg-dev git patch python3 ca-certificates
)
GUEST_PKGS=(busybox-static kexec-tools)

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

apt_sources() {
	local src=/etc/apt/sources.list.d/sdei-nmi-trixie.sources
	local pin=/etc/apt/preferences.d/sdei-nmi-trixie
	local changed=0
	if [ ! -f "$src" ]; then
		$SUDO tee "$src" >/dev/null <<'EOS'
# Added by sdei-nmi-rs setup: Linux 7.3 source, rust-src and TF-A 2.12.
Types: deb deb-src
URIs: http://deb.debian.org/debian
Suites: trixie trixie-backports
Components: main
Architectures: amd64
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
		changed=1
	fi
	if [ ! -f "$pin" ]; then
		# Low priority: never upgrades what is installed, only serves
		# what is asked for by name.
		$SUDO tee "$pin" >/dev/null <<'EOS'
Package: *
Pin: release n=trixie
Pin-Priority: 50

Package: *
Pin: release n=trixie-backports
Pin-Priority: 50
EOS
		changed=1
	fi
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		$SUDO dpkg --add-architecture arm64
		changed=1
	fi
	if [ $changed -eq 1 ] || [ ! -f "$CACHE/.apt-updated" ]; then
		$SUDO apt-get update -q
		touch "$CACHE/.apt-updated"
	fi
}

host_packages() {
	local missing=()
	for p in "${HOST_PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing: ${missing[*]}"
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# newest_version PKG: the newest version of PKG the archive offers.
newest_version() {
	apt-cache madison "$1" | awk '{print $3}' | sort -V | tail -1
}

fetch_deb() {	# fetch_deb PKG[:ARCH] [VERSION] -> prints the .deb path
	local pkg=$1 ver=${2:-} f
	[ -n "$ver" ] || ver=$(newest_version "$pkg")
	[ -n "$ver" ] || die "package '$pkg' not found in the archive (apt sources?)"
	f=$(ls "$DL"/"${pkg%%:*}"_"${ver//:/%3a}"_*.deb 2>/dev/null | head -1 || true)
	if [ -z "$f" ]; then
		(cd "$DL" && apt-get download -q "$pkg=$ver" >&2) ||
			die "apt-get download $pkg=$ver failed"
		f=$(ls "$DL"/"${pkg%%:*}"_"${ver//:/%3a}"_*.deb | head -1)
	fi
	echo "$f"
}

kernel_source() {
	local deb
	[ -f "$DL/linux-source-7.3.tar.xz" ] && return 0
	deb=$(fetch_deb linux-source-7.3)
	log "unpacking $(basename "$deb")"
	dpkg-deb --fsys-tarfile "$deb" |
		tar -x -O --wildcards '*/linux-source-7.3.tar.xz' >"$DL/linux-source-7.3.tar.xz.tmp"
	mv "$DL/linux-source-7.3.tar.xz.tmp" "$DL/linux-source-7.3.tar.xz"
	basename "$deb" >"$DL/linux-source-7.3.version"
	rm -f "$deb"
}

rust_src() {
	local deb
	[ -d "$RUST_LIB_SRC/core" ] && return 0
	deb=$(fetch_deb rust-src "$RUST_SRC_VERSION")
	rm -rf "$TOOLS/rust-src"
	dpkg-deb -x "$deb" "$TOOLS/rust-src"
}

rust_toolchain() {
	rustup toolchain list | grep -q "^$RUST_TOOLCHAIN" ||
		die "rustup toolchain $RUST_TOOLCHAIN missing (rustup cannot download here)"
	for c in rustfmt clippy; do
		rustup component list --toolchain "$RUST_TOOLCHAIN" --installed | grep -q "^$c" ||
			die "rustup component $c missing for $RUST_TOOLCHAIN"
	done
}

bindgen_cli() {
	command -v bindgen >/dev/null 2>&1 && bindgen --version | grep -q '^bindgen 0\.72' && return 0
	cargo +"$RUST_TOOLCHAIN" install --locked --root "$TOOLS" bindgen-cli --version "$BINDGEN_VERSION"
}

tfa_source() {
	local dir
	dir=$(ls -d "$DL"/arm-trusted-firmware-*/ 2>/dev/null | head -1 || true)
	[ -n "$dir" ] && [ -f "$dir/plat/qemu/common/qemu_sdei.c" ] && return 0
	(cd "$DL" && apt-get source -q --download-only arm-trusted-firmware/trixie >&2)
	(cd "$DL" && dpkg-source -x --no-check arm-trusted-firmware_*.dsc >&2)
	dir=$(ls -d "$DL"/arm-trusted-firmware-*/ | head -1)
	[ -f "$dir/plat/qemu/common/qemu_sdei.c" ] || die "TF-A source has no qemu SDEI support"
}

# Guest userspace: arm64 busybox-static and kexec-tools with the shared
# libraries it needs, unpacked into $GUEST/sysroot.
guest_packages() {
	local stamp=$GUEST/sysroot/.complete deps p
	[ -f "$stamp" ] && return 0
	rm -rf "$GUEST/sysroot" "$GUEST/debs"
	mkdir -p "$GUEST/sysroot" "$GUEST/debs"
	deps=$(apt-cache depends --recurse --no-recommends --no-suggests \
		--no-conflicts --no-breaks --no-replaces --no-enhances \
		"${GUEST_PKGS[@]/%/:arm64}" | grep -E '^[a-z0-9]' | grep ':arm64$' | sort -u)
	# Only the two tools and the shared libraries they pull in; the rest of
	# the closure is maintainer-script plumbing a static initramfs never runs.
	for p in $deps; do
		case ${p%:arm64} in
		busybox-static|kexec-tools|lib*|zlib*) echo "$p" ;;
		esac
	done | (cd "$GUEST/debs" && xargs apt-get download -q >&2)
	for d in "$GUEST"/debs/*.deb; do
		dpkg-deb -x "$d" "$GUEST/sysroot"
	done
	touch "$stamp"
}

python_tools() {
	python3 -c 'import pytest, xdist' 2>/dev/null && return 0
	python3 -m pip install -q 'pytest>=7' 'pytest-xdist>=3'
}

main() {
	mkdir -p "$CACHE" "$DL" "$TOOLS" "$GUEST"
	step "apt sources" apt_sources
	step "host packages" host_packages
	step "rust toolchain" rust_toolchain
	step "rust-src $RUST_SRC_VERSION" rust_src
	step "bindgen-cli $BINDGEN_VERSION" bindgen_cli
	step "linux-source-7.3" kernel_source
	step "arm-trusted-firmware source" tfa_source
	step "guest packages" guest_packages
	step "python test tools" python_tools
	log "setup complete; cache: $CACHE"
}

main "$@"
