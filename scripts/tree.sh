#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# tree.sh materialise | export | status
#
# patches/ is the source of truth.  "materialise" builds a kernel git tree in
# $TREE: one base commit holding the v7.3 source (Debian's linux-source-7.3,
# or $LINUX_SRC), tagged sdei-base, then one commit per patch via git am.
# "export" writes the commits above sdei-base back to patches/ with
# git format-patch, a cover letter and --base.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PATCHES=$TOP/patches
# The synthetic base commit gets a fixed identity and date, so that its id
# (the series' base-commit) is the same on every machine for the same source.
BASE_IDENT=(-c user.name="sdei-nmi-rs project" -c user.email="sdei-nmi-rs@invalid")
BASE_DATE="2026-01-01T00:00:00Z"

g() { git -C "$TREE" "$@"; }

series_files() { find "$PATCHES" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' ! -name '0000-cover-letter.patch' | sort; }
series_hash() { cat $(series_files) /dev/null | sha256sum | cut -c1-16; }

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
	git -C "$tmp" add -A
	GIT_AUTHOR_DATE=$BASE_DATE GIT_COMMITTER_DATE=$BASE_DATE \
		git -C "$tmp" "${BASE_IDENT[@]}" commit -q -m "Linux 7.3 base ($(source_id))"
	git -C "$tmp" tag sdei-base
	git -C "$tmp" config sdei.source "$(source_id)"
	git -C "$tmp" config sdei.exported "$(git -C "$tmp" rev-parse HEAD)"
	rm -rf "$TREE"
	mv "$tmp" "$TREE"
}

# The tree holds work that patches/ does not: uncommitted edits, or commits
# made after the last materialise/export.
unexported() {
	[ -n "$(g status --porcelain --untracked-files=no)" ] && return 0
	[ "$(g rev-parse HEAD)" != "$(g config --default none sdei.exported)" ]
}

apply_series() {
	local p
	g checkout -q -f -B series sdei-base
	for p in $(series_files); do
		g am -q --keep-cr "$p" || {
			g am --abort || true
			die "patch does not apply: $(basename "$p")"
		}
	done
	set_description
	g config sdei.series "$(series_hash)"
	g config sdei.exported "$(g rev-parse HEAD)"
}

# Keep the cover letter's text as the branch description so that export can
# regenerate it (format-patch --cover-from-description).
set_description() {
	local cl=$PATCHES/0000-cover-letter.patch
	[ -f "$cl" ] || return 0
	python3 - "$cl" >"$TREE/.git/sdei-description" <<'PY'
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
	g config branch.series.description "$(cat "$TREE/.git/sdei-description")"
}

materialise() {
	if [ ! -d "$TREE/.git" ] || [ "$(g config --default none sdei.source)" != "$(source_id)" ]; then
		if [ -d "$TREE/.git" ] && unexported && [ -z "${FORCE:-}" ] && [ "${CI:-}" != true ]; then
			die "$TREE has unexported work and a different base; export it or FORCE=1"
		fi
		step "unpack v7.3 base into $TREE" unpack_base
	fi
	if [ "$(g config --default none sdei.series)" = "$(series_hash)" ] && ! unexported; then
		log "tree up to date: $TREE ($(g rev-list --count sdei-base..HEAD) patches)"
		return 0
	fi
	if unexported && [ -z "${FORCE:-}" ] && [ "${CI:-}" != true ]; then
		g status --short --untracked-files=no | head >&2
		die "$TREE has work not in patches/: run 'make export' (or FORCE=1 to discard it)"
	fi
	step "apply $(series_files | wc -l) patches" apply_series
}

export_series() {
	local n tmp
	[ -d "$TREE/.git" ] || die "no tree at $TREE: run 'make tree'"
	[ -z "$(g status --porcelain --untracked-files=no)" ] ||
		die "$TREE has uncommitted changes: commit them first"
	n=$(g rev-list --count sdei-base..HEAD)
	mkdir -p "$PATCHES"
	if [ "$n" -gt 0 ]; then
		tmp=$(mktemp -d)
		g format-patch -q -o "$tmp" --cover-letter --cover-from-description=subject \
			--base=sdei-base --no-signature sdei-base..HEAD
		rm -f "$PATCHES"/[0-9][0-9][0-9][0-9]-*.patch
		cp "$tmp"/*.patch "$PATCHES"/
		rm -rf "$tmp"
	else
		# An empty series has no format-patch output; the cover letter
		# in patches/ stays as it is.
		rm -f $(series_files)
	fi
	g config sdei.series "$(series_hash)"
	g config sdei.exported "$(g rev-parse HEAD)"
	log "exported $n patches to $PATCHES"
}

status() {
	[ -d "$TREE/.git" ] || { echo "no tree at $TREE"; return 0; }
	echo "tree:    $TREE"
	echo "base:    $(g config sdei.source)"
	echo "patches: $(g rev-list --count sdei-base..HEAD) commits above sdei-base"
	if unexported; then echo "state:   has work not exported to patches/"; else echo "state:   in sync with patches/"; fi
}

case ${1:-} in
materialise) materialise ;;
export) export_series ;;
status) status ;;
*) die "usage: tree.sh materialise|export|status" ;;
esac
