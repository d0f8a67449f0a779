#!/usr/bin/env bash
# CI for the installers on Linux: lint the packaging scripts and the release workflow, build the
# bundle and the .deb, smoke-test them. As root it installs what it needs with apt-get (MariaDB for
# the CLI's smoke test, Qt's system libraries and a font for the offscreen self-test).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

need=()
[ -x /usr/sbin/mariadbd ] || command -v mariadbd >/dev/null 2>&1 || need+=(mariadb-server)
for lib in libEGL.so.1:libegl1 libGL.so.1:libgl1 libxkbcommon.so.0:libxkbcommon0 \
           libfontconfig.so.1:libfontconfig1 libdbus-1.so.3:libdbus-1-3; do
  ldconfig -p 2>/dev/null | grep -q "${lib%%:*}" || need+=("${lib##*:}")
done
[ -n "$(find /usr/share/fonts -name "*.ttf" -print -quit 2>/dev/null)" ] || need+=(fonts-dejavu-core)
command -v desktop-file-validate >/dev/null 2>&1 || need+=(desktop-file-utils)
command -v node >/dev/null 2>&1 || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "packaging/ci.sh: installing ${need[*]} with apt-get" >&2
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "packaging/ci.sh: missing ${need[*]}: run as root, or: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
fi

bash packaging/build-linux.sh
build/venv/bin/shellcheck packaging/*.sh packaging/lint/*.sh
bash packaging/lint/actionlint.sh
bash packaging/smoke-linux.sh
echo "packaging/ci.sh: ok in $(( $(date +%s) - started )) s"
