#!/bin/sh
# Writes OUTPUT (Swift) with the git commit of the package in PACKAGE_DIR and whether its compiled
# sources (Package.swift, Sources/, Plugins/, this script) differ from that commit. Run before every
# build by the BuildStamp plugin. Outside a git checkout of the package itself (a tarball, or a
# package folder inside another repository) the commit is "unknown", never a neighbour's.
# Usage: build-stamp.sh PACKAGE_DIR OUTPUT
set -u
dir=$1 out=$2
commit=unknown dirty=unknown
if top=$(git -C "$dir" rev-parse --show-toplevel 2>/dev/null) \
  && [ "$(cd "$top" && pwd -P)" = "$(cd "$dir" && pwd -P)" ] \
  && head=$(git -C "$dir" rev-parse --verify -q HEAD 2>/dev/null); then
  commit=$head
  changes=$(git --no-optional-locks -C "$dir" status --porcelain --untracked-files=normal -- \
    Package.swift Sources Plugins scripts/build-stamp.sh 2>/dev/null) && {
    if [ -z "$changes" ]; then dirty=false; else dirty=true; fi
  }
fi
mkdir -p "$(dirname "$out")"
tmp=$out.tmp.$$
cat > "$tmp" <<SWIFT
// Generated before every build by scripts/build-stamp.sh (the BuildStamp plugin); not in git.
enum BuildStamp {
  static let commit = "$commit"
  static let dirty = "$dirty"
}
SWIFT
if cmp -s "$tmp" "$out"; then rm -f "$tmp"; else mv -f "$tmp" "$out"; fi
