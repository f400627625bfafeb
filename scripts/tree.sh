#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# tree.sh materialise | export | status | check-alone | ctree | series
#
# patches/ is the source of truth: one directory per series, each meant for
# one maintainer tree, in the order patches/series gives (with each series'
# base and subject prefix).  "materialise" builds a kernel git tree in
# $TREE: one base commit holding the v7.3 source (Debian's
# linux-source-7.3, or $LINUX_SRC), tagged sdei-base, then each series'
# patches as commits (git am), with a branch sdei/SERIES at the head of
# each.  "export" writes each series back to its directory (git
# format-patch, cover letter, --base, To/Cc from get_maintainer.pl).
# "check-alone" applies every series whose base is v7.3 alone on sdei-base.
# "ctree" checks out the C-only kernel's series (those marked c-kernel yes)
# in the worktree $CTREE, the source of the c and perf kernels.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PATCHES=$TOP/patches
SERIES_FILE=$PATCHES/series
# The synthetic base commit gets a fixed identity and date, so that its id
# (the series' base-commit) is the same on every machine for the same source.
BASE_IDENT=(-c user.name="sdei-nmi-rs project" -c user.email="sdei-nmi-rs@invalid")
BASE_DATE="2026-01-01T00:00:00Z"

g() { git -C "$TREE" "$@"; }

# series_list: "NAME BASE CKERNEL PREFIX" per series, in order.
series_list() { grep -v '^\s*\(#\|$\)' "$SERIES_FILE"; }
series_names() { series_list | awk '{ print $1 }'; }
series_field() { series_list | awk -v n="$1" -v f="$2" '$1 == n { print $f }'; }
series_prefix() { series_list | awk -v n="$1" '$1 == n { $1 = $2 = $3 = ""; sub(/^ +/, ""); print }'; }
patch_files() { find "$PATCHES/$1" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' ! -name '0000-cover-letter.patch' | sort; }
# The files the tree is made from: the cover letters too (their text is
# each series branch's description).
all_files() {
	local s
	echo "$SERIES_FILE"
	for s in $(series_names); do
		[ -f "$PATCHES/$s/0000-cover-letter.patch" ] && echo "$PATCHES/$s/0000-cover-letter.patch"
		patch_files "$s"
	done
}
series_hash() { cat $(all_files) /dev/null | sha256sum | cut -c1-16; }
# The heads of every series branch, as the tree last matched patches/.
heads() { local s; for s in $(series_names); do g rev-parse -q --verify "refs/heads/sdei/$s" || echo none; done | tr '\n' ' '; }
# The series before NAME in the stack (its branch is where NAME starts), or sdei-base.
prev_ref() {
	local prev=sdei-base s
	for s in $(series_names); do
		[ "$s" = "$1" ] && { echo "$prev"; return; }
		prev=sdei/$s
	done
	die "no series $1 in $SERIES_FILE"
}
# The last series of the C-only kernel.
c_top() { series_list | awk '$3 == "yes" { n = $1 } END { print n }'; }

source_id() {
	if [ -n "${LINUX_SRC:-}" ]; then
		if [ -d "$LINUX_SRC/.git" ]; then
			echo "git:$(git -C "$LINUX_SRC" rev-parse HEAD)"
		else
			echo "dir:$(cd "$LINUX_SRC" && pwd)"
		fi
	else
		echo "debian:$(cat "$DL/linux-source-7.3.version" 2>/dev/null || echo unknown)"
	fi
}

unpack_base() {
	local tmp=$TREE.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"
	if [ -n "${LINUX_SRC:-}" ]; then
		[ -f "$LINUX_SRC/Makefile" ] || die "LINUX_SRC=$LINUX_SRC is not a kernel tree"
		if [ -d "$LINUX_SRC/.git" ]; then
			git -C "$LINUX_SRC" archive HEAD | tar -x -C "$tmp"
		else
			rsync -a --exclude=.git "$LINUX_SRC"/ "$tmp"/
		fi
	else
		[ -f "$DL/linux-source-7.3.tar.xz" ] || die "no kernel source: run 'make setup' first"
		tar -x -C "$tmp" --strip-components=1 -f "$DL/linux-source-7.3.tar.xz"
	fi
	grep -q '^PATCHLEVEL = 3$' "$tmp/Makefile" && grep -q '^VERSION = 7$' "$tmp/Makefile" ||
		die "the base source is not Linux 7.3"
	# Debian's linux-source appends a stanza to .gitignore that ignores the
	# whole top level (its packaging repository layout); upstream has none.
	[ -f "$tmp/.gitignore" ] && python3 - "$tmp/.gitignore" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
s = re.sub(r"\n*#\n# Debian packaging:.*", "\n", s, flags=re.S)
open(p, "w").write(s)
PY
	git -C "$tmp" init -q -b series
	git -C "$tmp" config core.autocrlf false
	git -C "$tmp" config gc.auto 0
	# An interactive rebase moves the series branches with the commits.
	git -C "$tmp" config rebase.updateRefs true
	git -C "$tmp" add -A
	GIT_AUTHOR_DATE=$BASE_DATE GIT_COMMITTER_DATE=$BASE_DATE \
		git -C "$tmp" "${BASE_IDENT[@]}" commit -q -m "Linux 7.3 base ($(source_id))"
	git -C "$tmp" tag sdei-base
	git -C "$tmp" config sdei.source "$(source_id)"
	git -C "$tmp" config sdei.exported "$(git -C "$tmp" rev-parse HEAD)"
	rm -rf "$TREE" "$CTREE"
	mv "$tmp" "$TREE"
}

# The tree holds work that patches/ does not: uncommitted edits, or commits
# made after the last materialise/export.
unexported() {
	[ -n "$(g status --porcelain --untracked-files=no)" ] && return 0
	[ "$(g rev-parse HEAD) $(heads)" != "$(g config --default none sdei.exported)" ]
}

mark_exported() {
	g config sdei.series "$(series_hash)"
	g config sdei.exported "$(g rev-parse HEAD) $(heads)"
}

apply_series() {
	local s p
	g checkout -q -f -B series sdei-base
	for s in $(series_names); do
		[ -d "$PATCHES/$s" ] || die "no directory patches/$s"
		for p in $(patch_files "$s"); do
			g am -q --keep-cr "$p" || {
				g am --abort || true
				die "series $s: patch does not apply on the series before it: $(basename "$p")"
			}
		done
		g branch -f "sdei/$s" HEAD
		set_description "$s"
	done
	mark_exported
}

# Keep each cover letter's text as its series branch's description, so that
# export can regenerate it (format-patch --cover-from-description).
set_description() {
	local cl=$PATCHES/$1/0000-cover-letter.patch
	[ -f "$cl" ] || return 0
	g config "branch.sdei/$1.description" "$(python3 - "$cl" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
head, _, body = text.partition("\n\n")
subj = re.search(r"^Subject: (?:\[[^]]*\] )?(.*(?:\n .*)*)", head, re.M).group(1)
subj = re.sub(r"\n ", " ", subj)
out = []
for line in body.splitlines():
    if re.match(r"^\S.* \(\d+\):$", line) or line.startswith("base-commit:"):
        break
    out.append(line)
while out and not out[-1].strip():
    out.pop()
print(subj + "\n\n" + "\n".join(out))
PY
)"
}

# check_alone: every series whose base is v7.3 applies alone on sdei-base:
# its patches, in order, applied to an index holding sdei-base (git apply
# --cached, no checkout).  The stack itself is checked by apply_series.
check_alone() {
	local s p idx rc=0 ok
	for s in $(series_names); do
		[ "$(series_field "$s" 2)" = v7.3 ] || continue
		idx=$(mktemp)
		GIT_INDEX_FILE=$idx g read-tree sdei-base
		ok=1
		for p in $(patch_files "$s"); do
			GIT_INDEX_FILE=$idx g apply --cached "$p" 2>/dev/null || {
				log "series $s does not apply alone on v7.3: $(basename "$p")"
				ok=0 rc=1
				break
			}
		done
		rm -f "$idx"
		[ $ok = 1 ] && log "series $s applies alone on v7.3 ($(patch_files "$s" | wc -l) patches)"
	done
	return $rc
}

# ctree: check out the C-only kernel's series in $CTREE (a worktree of
# $TREE), on branch c-only.  Only the files that differ change, so its
# build directories rebuild incrementally.
ctree() {
	local top
	top=$(c_top)
	[ -n "$top" ] || die "no series is marked for the C-only kernel in $SERIES_FILE"
	if [ ! -d "$CTREE/.git" ] && [ ! -f "$CTREE/.git" ]; then
		rm -rf "$CTREE"
		g worktree prune
		g worktree add -q -f -B c-only "$CTREE" "sdei/$top"
	else
		git -C "$CTREE" checkout -q -f -B c-only "$(g rev-parse "sdei/$top")"
	fi
	log "C-only tree: $CTREE at sdei/$top ($(git -C "$CTREE" rev-list --count sdei-base..HEAD) patches)"
}

materialise() {
	[ -f "$SERIES_FILE" ] || die "no $SERIES_FILE"
	if [ ! -e "$TREE/.git" ] || [ "$(g config --default none sdei.source)" != "$(source_id)" ]; then
		if [ -e "$TREE/.git" ] && unexported && [ -z "${FORCE:-}" ] && [ "${CI:-}" != true ]; then
			die "$TREE has unexported work and a different base; export it or FORCE=1"
		fi
		step "unpack v7.3 base into $TREE" unpack_base
	fi
	if [ "$(g config --default none sdei.series)" = "$(series_hash)" ] && ! unexported; then
		log "tree up to date: $TREE ($(g rev-list --count sdei-base..HEAD) patches)"
	else
		if unexported && [ -z "${FORCE:-}" ] && [ "${CI:-}" != true ]; then
			g status --short --untracked-files=no | head >&2
			die "$TREE has work not in patches/: run 'make export' (or FORCE=1 to discard it)"
		fi
		step "apply $(series_names | wc -l) series ($(all_files | grep -vc -e '/series$' -e 0000-cover-letter) patches)" apply_series
	fi
	ctree
}

# get_maintainer.pl's people for the patches in DIR: "to" (maintainers) or
# "cc" (reviewers and lists).
people() {
	local opts
	case $1 in
	to) opts=(--m --no-r --no-l) ;;
	cc) opts=(--no-m --r --l) ;;
	esac
	(cd "$TREE" && ./scripts/get_maintainer.pl --no-git --no-git-fallback --no-rolestats \
		--no-multiline --separator , "${opts[@]}" "$2"/[0-9]*.patch 2>/dev/null) || true
}

export_one() {
	local s=$1 prev tip base tmp wt=$CACHE/linux-export prefix to cc
	prev=$(prev_ref "$s")
	tip=sdei/$s
	prefix=$(series_prefix "$s")
	base=sdei-base
	if [ "$(series_field "$s" 2)" = v7.3 ] && [ "$prev" != sdei-base ]; then
		# Standalone on v7.3: exported from its commits picked onto
		# sdei-base, so that its patches and base are v7.3's.
		g worktree remove -f "$wt" 2>/dev/null || rm -rf "$wt"
		g worktree prune
		g worktree add -q -B "sdei-export/$s" "$wt" sdei-base
		git -C "$wt" cherry-pick "$prev..$tip" >/dev/null 2>&1 || {
			git -C "$wt" cherry-pick --abort 2>/dev/null || true
			g worktree remove -f "$wt"
			die "series $s does not apply alone on v7.3"
		}
		g config "branch.sdei-export/$s.description" "$(g config "branch.$tip.description" || echo "$s")"
		prev=sdei-base
		tip=sdei-export/$s
	fi
	tmp=$(mktemp -d)
	g format-patch -q -o "$tmp" --cover-letter --cover-from-description=subject \
		--subject-prefix="$prefix" --base="$base" --no-signature "$prev..$tip"
	to=$(people to "$tmp")
	cc=$(people cc "$tmp")
	rm -f "$tmp"/*.patch
	g format-patch -q -o "$tmp" --cover-letter --cover-from-description=subject \
		--subject-prefix="$prefix" --base="$base" --no-signature \
		${to:+--to="$to"} ${cc:+--cc="$cc"} "$prev..$tip"
	mkdir -p "$PATCHES/$s"
	rm -f "$PATCHES/$s"/[0-9][0-9][0-9][0-9]-*.patch
	cp "$tmp"/*.patch "$PATCHES/$s"/
	rm -rf "$tmp"
	if [ "$tip" != "sdei/$s" ]; then
		g worktree remove -f "$wt"
		g branch -D -q "$tip"
	fi
	log "exported $s: $(g rev-list --count "$prev..$tip" 2>/dev/null || patch_files "$s" | wc -l) patches"
}

export_series() {
	local s
	[ -e "$TREE/.git" ] || die "no tree at $TREE: run 'make tree'"
	[ -z "$(g status --porcelain --untracked-files=no)" ] ||
		die "$TREE has uncommitted changes: commit them first"
	[ "$(g rev-parse HEAD)" = "$(g rev-parse "sdei/$(series_names | tail -1)")" ] ||
		die "HEAD is not the last series' branch (sdei/$(series_names | tail -1)): move the series branches first"
	for s in $(series_names); do
		export_one "$s"
	done
	mark_exported
	ctree
}

status() {
	local s n
	[ -e "$TREE/.git" ] || { echo "no tree at $TREE"; return 0; }
	echo "tree:    $TREE"
	echo "base:    $(g config sdei.source)"
	for s in $(series_names); do
		n=$(g rev-list --count "$(prev_ref "$s")..sdei/$s" 2>/dev/null || echo '?')
		printf 'series:  %-22s %3s patches, base %s, C-only kernel: %s\n' "$s" "$n" \
			"$(series_field "$s" 2)" "$(series_field "$s" 3)"
	done
	if unexported; then echo "state:   has work not exported to patches/"; else echo "state:   in sync with patches/"; fi
}

# series: which series each kernel carries, for make test's log.
carried() {
	local c r
	c=$(series_list | awk '$3 == "yes" { printf "%s%s", sep, $1; sep = " + " }')
	r=$(series_names | paste -sd' ' | sed 's/ / + /g')
	echo "c, perf:                $c (C only, $CTREE at $(git -C "$CTREE" rev-parse --short HEAD 2>/dev/null || echo '?'))"
	echo "rust, kunit, watchdog:  $r ($TREE at $(g rev-parse --short HEAD))"
}

case ${1:-} in
materialise) materialise ;;
export) export_series ;;
status) status ;;
check-alone) check_alone ;;
ctree) ctree ;;
series) carried ;;
*) die "usage: tree.sh materialise|export|status|check-alone|ctree|series" ;;
esac
