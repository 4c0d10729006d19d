#!/usr/bin/env bash
# Install the Debian packages Sequenzia needs, if any are missing.
#   scripts/system-deps.sh run   -> ffmpeg (video previews)
#   scripts/system-deps.sh test  -> ffmpeg, chromium, nginx, libmariadb-dev, pkg-config
# Without root (or sudo) it says what is missing and carries on: the features
# that need a package report themselves as skipped or unavailable.
set -u
case "${1:-run}" in
  run)  wanted=(ffmpeg) ;;
  test) wanted=(ffmpeg chromium nginx-light libmariadb-dev pkg-config) ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# nginx-light or any other nginx flavour will do.
if [[ " ${missing[*]-} " == *" nginx-light "* ]] && command -v nginx >/dev/null 2>&1; then
  missing=("${missing[@]/nginx-light}")
fi
missing=($(printf '%s\n' "${missing[@]-}" | grep -v '^$' || true))
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
  echo "note: cannot install ${missing[*]} (not root); related features/tests will be skipped" >&2; exit 0; fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
  || echo "warning: apt-get could not install ${missing[*]}" >&2
# The nginx package starts a server on port 80 under systemd hosts; tests start their own.
exit 0
