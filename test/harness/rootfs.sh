#!/usr/bin/env bash
# Builds (once) and caches a minimal Debian bookworm root file system that boots a real systemd
# as PID 1 of a systemd-nspawn container. Used by test/harness/container.ts.
#
#   rootfs.sh ensure   build the root if it is not cached yet, then print its path on stdout
#   rootfs.sh path     print the path the root has (or would have); exit 1 if it is not built
#   rootfs.sh recipe   print the recipe text whose sha256 names the cache entry
#
# The cache entry is "${XDG_CACHE_HOME:-$HOME/.cache}/phoenix-compile/rootfs-<hash>", where
# <hash> is a sha256 prefix of the recipe section below (suite, variant, packages, mirror and the
# post-install tweaks): editing the recipe gives a new entry. The root is built in a temporary
# folder next to it and renamed into place only when complete, under an flock, so concurrent
# callers build it once and a killed build never leaves a root that looks complete.
# Progress goes to stderr. Needs root and debootstrap.
set -euo pipefail

# --- recipe begin (everything up to "recipe end" is hashed) ---
SUITE=bookworm
VARIANT=minbase
PACKAGES=systemd,systemd-sysv,dbus,python3,curl
MIRROR=http://deb.debian.org/debian
# Units that fail or slow down a boot in a container, or that would start work nobody asked for.
MASK_UNITS=(
  console-getty.service
  getty@.service
  container-getty@.service
  getty.target
  systemd-networkd-wait-online.service
  apt-daily.timer
  apt-daily-upgrade.timer
  dpkg-db-backup.timer
  fstrim.timer
  e2scrub_all.timer
  e2scrub_reap.service
  systemd-tmpfiles-clean.timer
)
# A fixed machine-id: with an empty one, every boot is a "first boot" (slower, and
# ConditionFirstBoot units would run).
MACHINE_ID=5f1a0c2e7d3b4e1f9a6c8d2b0e4f7a13

post_install() {
  local root=$1
  systemctl --root="$root" mask "${MASK_UNITS[@]}" >/dev/null 2>&1
  printf '%s\n' "$MACHINE_ID" >"$root/etc/machine-id"
  # No /etc/hostname: the container keeps the --machine= name nspawn gives it as host name.
  rm -f "$root/etc/hostname"
  # minbase has no /etc/hosts, and without it (or nss-myhostname) "localhost" does not resolve.
  printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
  # Space: package caches, lists, documentation, man pages and translations are not needed.
  rm -rf "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
    "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/* \
    "$root"/usr/share/info/* "$root"/usr/share/locale/* "$root"/var/log/*.log \
    "$root"/var/cache/debconf/*-old
  find "$root/var/log" -type f -delete
}
# --- recipe end ---

self=${BASH_SOURCE[0]}

log() { printf 'rootfs.sh: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

recipe_text() {
  sed -n '/^# --- recipe begin/,/^# --- recipe end/p' "$self"
}

cache_base() {
  local base=${XDG_CACHE_HOME:-}
  if [[ -z $base ]]; then
    [[ -n ${HOME:-} ]] || die "neither XDG_CACHE_HOME nor HOME is set"
    base=$HOME/.cache
  fi
  printf '%s/phoenix-compile\n' "$base"
}

root_path() {
  local hash
  hash=$(recipe_text | sha256sum | cut -c1-16)
  printf '%s/rootfs-%s\n' "$(cache_base)" "$hash"
}

# Unmounts whatever a killed debootstrap left mounted below $1, then removes $1 without
# crossing into other file systems.
remove_tree() {
  local dir=$1 mnt
  [[ -e $dir ]] || return 0
  # Deepest mount points first; mountinfo field 5 is the mount point (spaces are octal-escaped).
  while read -r mnt; do
    umount -l "$mnt" 2>/dev/null || true
  done < <(awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r)
  rm -rf --one-file-system "$dir"
}

build() {
  local final=$1 start
  start=$(date +%s)
  command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
  [[ $(id -u) -eq 0 ]] || die "building the root needs root"
  BUILD_TMP=$(mktemp -d "$final.tmp.XXXXXX")
  local tmp=$BUILD_TMP
  # Any exit before the rename removes the partial root.
  trap 'remove_tree "$BUILD_TMP"' EXIT
  trap 'exit 130' INT TERM HUP
  log "building $final (debootstrap $VARIANT $SUITE from $MIRROR, about a minute)"
  debootstrap --variant="$VARIANT" --include="$PACKAGES" "$SUITE" "$tmp" "$MIRROR" >&2
  log "post-install tweaks"
  post_install "$tmp"
  recipe_text >"$tmp/.phoenix-rootfs-recipe"
  chmod 0755 "$tmp"
  mv -T "$tmp" "$final"
  trap - EXIT
  log "built $final in $(($(date +%s) - start)) s ($(du -sh --one-file-system "$final" | cut -f1))"
}

ensure() {
  local final lock stale
  final=$(root_path)
  # Fast path: the rename is the last step, so an existing entry is complete.
  if [[ -f $final/.phoenix-rootfs-recipe ]]; then
    printf '%s\n' "$final"
    return 0
  fi
  mkdir -p "$(dirname "$final")"
  lock=$final.lock
  exec 9>"$lock"
  # fd 9 is inherited by debootstrap, so even a killed rootfs.sh keeps others out until its
  # debootstrap is gone too.
  if ! flock -n 9; then
    log "another process is building the root; waiting for $lock"
    flock -w 1800 9 || die "timed out waiting for $lock"
  fi
  if [[ ! -f $final/.phoenix-rootfs-recipe ]]; then
    # Leftovers of killed builds of this recipe (we hold the lock, so nobody is using them).
    for stale in "$final".tmp.*; do
      [[ -e $stale ]] || continue
      log "removing leftover $stale"
      remove_tree "$stale"
    done
    [[ ! -e $final ]] || remove_tree "$final"
    build "$final"
  fi
  exec 9>&-
  printf '%s\n' "$final"
}

case ${1:-} in
ensure) ensure ;;
path)
  p=$(root_path)
  printf '%s\n' "$p"
  [[ -f $p/.phoenix-rootfs-recipe ]]
  ;;
recipe) recipe_text ;;
*)
  printf 'usage: %s ensure|path|recipe\n' "$0" >&2
  exit 2
  ;;
esac
