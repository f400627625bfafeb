# SPDX-License-Identifier: GPL-2.0
# Common settings for the harness scripts.  Sourced, never executed.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${SDEI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sdei-nmi-rs}
DL=$CACHE/downloads
TOOLS=$CACHE/tools
TREE=${TREE:-$CACHE/linux}
BUILD=${BUILD:-$CACHE/build}
FW=$CACHE/tf-a
GUEST=$CACHE/guest
LLVM_SUFFIX=${LLVM_SUFFIX:--19}
RUST_TOOLCHAIN=${RUST_TOOLCHAIN:-1.95.0}
RUST_SRC_VERSION=${RUST_SRC_VERSION:-1.95.0+dfsg1-2~bpo13+1}
BINDGEN_VERSION=${BINDGEN_VERSION:-~0.72}

export RUSTUP_TOOLCHAIN=$RUST_TOOLCHAIN
export LIBCLANG_PATH=/usr/lib/llvm${LLVM_SUFFIX}/lib
export RUST_LIB_SRC=$TOOLS/rust-src/usr/lib/rustlib/src/rust/library
export PATH=$TOOLS/bin:$HOME/.cargo/bin:$PATH

# Status lines go to stderr so that scripts can print results on stdout.
log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# step NAME CMD...: run a long step, say what it is and how long it took.
step() {
	local name=$1 t0 rc
	shift
	t0=$(date +%s)
	log "$name ..."
	"$@"
	rc=$?
	log "$name: $( [ $rc -eq 0 ] && echo done || echo "FAILED (exit $rc)") in $(( $(date +%s) - t0 )) s"
	return $rc
}

# need CMD PACKAGE: fail with a message that names the package.
need() {
	command -v "$1" >/dev/null 2>&1 ||
		die "'$1' not found: install the Debian package '$2' (make setup does it)"
}

kmake() {
	make -C "$TREE" O="$1" ARCH=arm64 LLVM="$LLVM_SUFFIX" "${@:2}"
}
