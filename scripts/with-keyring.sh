#!/bin/sh
# Runs a command inside a private D-Bus session with its own, unlocked gnome-keyring (Secret
# Service), so keychain tests never touch the user's real keyring and never show a prompt.
#   scripts/with-keyring.sh npx vitest run --project keychain
# Needs: dbus-run-session (dbus), gnome-keyring-daemon (gnome-keyring), libsecret-1 (for keytar):
#   sudo apt install gnome-keyring dbus-x11 libsecret-1-dev
# The keyring (password "test") lives in a temp dir removed afterwards. Exit code: the command's.
set -eu

if [ "$#" -eq 0 ]; then
  echo "usage: $0 <command> [args…]" >&2
  exit 2
fi
for tool in dbus-run-session gnome-keyring-daemon; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "with-keyring: $tool not found. Install it: sudo apt install gnome-keyring dbus-x11 libsecret-1-dev" >&2
    exit 127
  fi
done

KR=$(mktemp -d "${TMPDIR:-/tmp}/archivist-keyring.XXXXXX")
mkdir -m 700 "$KR/run"
trap 'rm -rf "$KR"' EXIT INT TERM

# XDG_* point into $KR: gnome-keyring keeps its keyrings under XDG_DATA_HOME and its control socket
# under XDG_RUNTIME_DIR (else ~/.cache); the daemon D-Bus would auto-start also uses them.
# No DISPLAY: with one, a locked keyring would wait on an unlock dialog instead of failing.
# The daemon is stopped by its pid, which the bus tells us (never a match on process names).
INNER='
printf %s test | gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 1
# The daemon claims org.freedesktop.secrets a moment after --unlock returns: wait for it (else a
# first call may race D-Bus activation, and a daemon that misses the bus lingers forever).
daemon=
i=0
while [ $i -lt 100 ]; do
  daemon=$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null | awk "/uint32/ {print \$2}")
  [ -n "$daemon" ] && break
  sleep 0.05
  i=$((i + 1))
done
if [ -z "$daemon" ]; then echo "with-keyring: gnome-keyring-daemon did not appear on the session bus" >&2; exit 1; fi
status=0
"$@" || status=$?
[ -n "$daemon" ] && kill "$daemon" 2>/dev/null
exit $status
'
status=0
env -u DISPLAY -u WAYLAND_DISPLAY XDG_DATA_HOME="$KR" XDG_RUNTIME_DIR="$KR/run" XDG_CACHE_HOME="$KR/cache" \
  ARCHIVIST_TEST_KEYRING=1 \
  dbus-run-session -- sh -c "$INNER" with-keyring "$@" || status=$?
exit $status
