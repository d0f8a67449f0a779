#!/usr/bin/env bash
# Builds the Linux installer from a clean clone:
#   dist/ps-prechecks-wizard/                 ps-prechecks-wizard + ps-prechecks and their shared libraries
#   dist/ps-prechecks_<version>_<arch>.deb    the same folder in /opt/ps-prechecks, /usr/bin links,
#                                             a desktop entry and icons; Depends computed from the binaries
# Needs python3 (3.11+, with venv), binutils and dpkg-deb; downloads nothing but requirements-build.lock
# from PyPI (hash-checked, into build/venv). packaging/smoke-linux.sh then tests the result.
set -euo pipefail
cd "$(dirname "$0")/.."
source packaging/lib.sh

need=()
command -v objdump >/dev/null 2>&1 || need+=(binutils)   # strip, objdump
command -v dpkg-deb >/dev/null 2>&1 || need+=(dpkg)
"${PYTHON:-python3}" -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "build-linux: installing ${need[*]} with apt-get" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null ||
      { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null; }
  else
    echo "build-linux: missing ${need[*]}: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
fi

version=$(app_version)
arch=$(dpkg --print-architecture)
started=$(date +%s)
build_venv
build_icons
build_bundle
bundle=dist/ps-prechecks-wizard
for exe in ps-prechecks-wizard ps-prechecks; do
  [ -x "$bundle/$exe" ] || { echo "build-linux: $bundle/$exe was not built" >&2; exit 1; }
done

# --- the .deb ---------------------------------------------------------------------------------
elf_files() {
  find "$bundle" -type f \( -name '*.so*' -o -perm -u+x \) -print0 |
    while IFS= read -r -d '' file; do
      [ "$(head -c4 "$file" | od -An -c | tr -d ' ')" = '177ELF' ] && printf '%s\n' "$file"
    done
}
# The Debian package that provides each system library the bundle links to but does not carry.
# A library missing from this table stops the build: add it, with its package.
package_of() {
  case "$1" in
    libc.so.6|libm.so.6|libdl.so.2|libpthread.so.0|librt.so.1|libutil.so.1|ld-linux*.so.*) echo libc6 ;;
    libstdc++.so.6) echo libstdc++6 ;;
    libgcc_s.so.1) echo libgcc-s1 ;;
    libEGL.so.1) echo libegl1 ;;
    libGL.so.1) echo libgl1 ;;
    libX11.so.6) echo libx11-6 ;;
    libX11-xcb.so.1) echo libx11-xcb1 ;;
    libxcb.so.1) echo libxcb1 ;;
    libxcb-*.so.*) local base=${1#lib}; base=${base%%.so.*}; echo "lib${base}${1##*.so.}" ;;  # libxcb-icccm.so.4 -> libxcb-icccm4
    libxkbcommon.so.0) echo libxkbcommon0 ;;
    libxkbcommon-x11.so.0) echo libxkbcommon-x11-0 ;;
    libfontconfig.so.1) echo libfontconfig1 ;;
    libfreetype.so.6) echo libfreetype6 ;;
    libdbus-1.so.3) echo libdbus-1-3 ;;
    libglib-2.0.so.0|libgthread-2.0.so.0) echo 'libglib2.0-0t64 | libglib2.0-0' ;;  # renamed in Debian 13 / Ubuntu 24.04
    libwayland-client.so.0) echo libwayland-client0 ;;
    libwayland-cursor.so.0) echo libwayland-cursor0 ;;
    libzstd.so.1) echo libzstd1 ;;
    *) return 1 ;;
  esac
}
mapfile -t elves < <(elf_files)
bundled=$(find "$bundle" \( -type f -o -type l \) -printf '%f\n' | sort -u)
missing=()
declare -A depends=()
while read -r lib; do
  grep -qxF "$lib" <<< "$bundled" && continue
  if package=$(package_of "$lib"); then depends[$package]=1; else missing+=("$lib"); fi
done < <(for f in "${elves[@]}"; do objdump -p "$f" | awk '/NEEDED/ {print $2}'; done | sort -u)
if [ ${#missing[@]} -gt 0 ]; then
  echo "build-linux: no package known for ${missing[*]}: add it to package_of in $0" >&2
  exit 1
fi
glibc=$(for f in "${elves[@]}"; do objdump -T "$f" 2>/dev/null | grep -o 'GLIBC_[0-9.]*'; done | sort -uV | tail -1)
depends_line="libc6 (>= ${glibc#GLIBC_})"
while IFS= read -r package; do
  [ "$package" = libc6 ] || depends_line+=", $package"
done < <(printf '%s\n' "${!depends[@]}" | sort)

stage=build/deb/root
rm -rf build/deb "dist/ps-prechecks_${version}_${arch}.deb"
mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin" "$stage/usr/share/applications" \
         "$stage/usr/share/doc/ps-prechecks"
cp -a "$bundle" "$stage/opt/ps-prechecks"
# absolute: from one top-level directory into another (Debian policy 10.5); the executables find
# their libraries through /proc/self/exe, so the links work from anywhere
ln -s /opt/ps-prechecks/ps-prechecks-wizard "$stage/usr/bin/ps-prechecks-wizard"
ln -s /opt/ps-prechecks/ps-prechecks "$stage/usr/bin/ps-prechecks"
for size in 16 24 32 48 64 128 256 512; do
  install -D -m 0644 "build/icons/ps-prechecks-$size.png" \
    "$stage/usr/share/icons/hicolor/${size}x${size}/apps/ps-prechecks-wizard.png"
done
install -D -m 0644 resources/icon.svg "$stage/usr/share/icons/hicolor/scalable/apps/ps-prechecks-wizard.svg"
install -m 0644 packaging/linux/ps-prechecks-wizard.desktop "$stage/usr/share/applications/"
install -m 0644 packaging/linux/copyright "$stage/usr/share/doc/ps-prechecks/copyright"
chmod -R u=rwX,go=rX "$stage"
installed_size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" <<EOF
Package: ps-prechecks
Version: $version
Architecture: $arch
Maintainer: ${DEB_MAINTAINER:-ps-prechecks developers <ps-prechecks@users.noreply.github.com>}
Installed-Size: $installed_size
Depends: $depends_line
Recommends: fonts-dejavu-core | fonts-liberation2
Section: database
Priority: optional
Description: pre-migration checks of a MySQL/MariaDB server for PlanetScale
 Connects read-only to one MySQL or MariaDB server and writes one upload-ready
 archive: a Markdown report, PlanetScale import readiness findings, facts.json,
 the raw samples and the technical questionnaire.
 .
 ps-prechecks-wizard is the desktop wizard; ps-prechecks the command-line tool.
EOF
# zstd -9: 3 s and 41 MB here, where xz took 53 s for 32 MB (dpkg reads zstd since 1.21.18: Debian 12, Ubuntu 22.04)
dpkg-deb --root-owner-group -Zzstd -z9 --build "$stage" "dist/ps-prechecks_${version}_${arch}.deb" >/dev/null

echo "build-linux: $(du -sh "$bundle" | cut -f1) in $bundle, $(du -h "dist/ps-prechecks_${version}_${arch}.deb" | cut -f1) in dist/ps-prechecks_${version}_${arch}.deb ($(( $(date +%s) - started )) s)"
echo "build-linux: Depends: $depends_line"
