#!/bin/sh
# Writes a Swift file beside OUTPUT, named for the stamp (BuildStamp_COMMIT12_DIRTY.swift), with the git commit of the package in PACKAGE_DIR and whether its compiled
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
# The file's name carries the stamp: a new commit is a new source file, which the build system cannot
# miss (a changed file of the same name was sometimes not recompiled by incremental builds, and the
# executable kept naming an older commit). Older stamps in the folder are removed.
dir_out=$(dirname "$out")
short=$(printf '%s' "$commit" | cut -c1-12)
out=$dir_out/BuildStamp_${short}_$dirty.swift
mkdir -p "$dir_out"
for old in "$dir_out"/BuildStamp*.swift; do
  [ -e "$old" ] && [ "$old" != "$out" ] && rm -f "$old"
done
tmp=$out.tmp.$$
cat > "$tmp" <<SWIFT
// Generated before every build by scripts/build-stamp.sh (the BuildStamp plugin); not in git.
enum BuildStamp {
  static let commit = "$commit"
  static let dirty = "$dirty"
}
SWIFT
if cmp -s "$tmp" "$out"; then rm -f "$tmp"; else mv -f "$tmp" "$out"; fi
