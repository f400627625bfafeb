# SPDX-License-Identifier: GPL-2.0
# Common settings for the harness scripts.  Sourced, never executed.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${SDEI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sdei-nmi-rs}
DL=$CACHE/downloads
TOOLS=$CACHE/tools
TREE=${TREE:-$CACHE/linux}
# The C-only kernels' source (c, perf): a worktree of $TREE holding only
# the series that patches/series marks for the C-only kernel (tree.sh ctree).
CTREE=${CTREE:-$CACHE/linux-c}
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

# C objects go through ccache (Debian's ccache, installed by setup), with
# its cache inside $SDEI_CACHE so that an empty cache is a cold build.  In
# depend mode: ccache hashes the headers the compiler's own .d file names
# and never runs the preprocessor, so a miss costs 1-2% over plain clang
# (the preprocessor mode costs ~50%: docs/timings.md).  It finds
# an object built before with the same configuration in any build
# directory (no debug info is built, so the directory is not hashed): a
# tree unpacked again, bisect-check, a patch reworked and put back.
# Across configurations, kernel.sh starts a new build directory as a copy
# of a finished one instead.
export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-4G}
export CCACHE_NOHASHDIR=1 CCACHE_DEPEND=1
KCC=${KCC:-ccache clang$LLVM_SUFFIX}

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

# Fixes by subject, for the kernels that show what a scenario does
# without them (scripts/nofix.sh, $BUILD/VARIANT-nofix-SET): stale-sgi, the
# GICv3 driver's drop of stale SGIs (make stop-questions).  The hotplug and
# delivery sets are experiment patches instead (tests/experiments/).
NOFIX_STALE_SGI_SUBJECTS=(
	"irqchip/gic-v3: Clear pending SGIs when a CPU comes up"
)

# tree_of VARIANT: the source tree VARIANT's kernel is built from: the
# C-only series for the C driver's kernels, the whole stack for the others.
tree_of() {
	case ${1%%-*} in
	c|perf) echo "$CTREE" ;;
	*) echo "$TREE" ;;
	esac
}

# kmake BUILD_DIR ARGS...: make in the source tree $SRC (default $TREE).
kmake() {
	make -C "${SRC:-$TREE}" O="$1" ARCH=arm64 LLVM="$LLVM_SUFFIX" CC="$KCC" "${@:2}"
}
