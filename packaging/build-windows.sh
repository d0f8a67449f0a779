#!/usr/bin/env bash
# Builds the Windows installer, in Git Bash on Windows (Python 3.11+ from python.org or
# actions/setup-python; Inno Setup 6, https://jrsoftware.org/isinfo.php, or `choco install innosetup`):
#   dist/ps-prechecks-wizard/                          ps-prechecks-wizard.exe (windowed) + ps-prechecks.exe (console)
#   dist/ps-prechecks-<version>-windows-x64-setup.exe  per-user install, no administrator needed
# Signing is off unless WINDOWS_SIGN_COMMAND is set: a command that signs the file named by its last
# argument (e.g. 'signtool sign /fd SHA256 /tr http://timestamp.digicert.com /td SHA256 /a'); it signs
# both executables, then the installer and its uninstaller (Inno Setup's SignTool).
set -euo pipefail
cd "$(dirname "$0")/.."
source packaging/lib.sh
case "$(uname -s)" in MINGW*|MSYS*|CYGWIN*) ;; *) echo "build-windows: run this in Git Bash on Windows" >&2; exit 1 ;; esac
export MSYS2_ARG_CONV_EXCL='*'   # pass /D... and /S... to ISCC untouched, not as paths

version=$(app_version)
build_venv
build_icons
build_bundle
for exe in ps-prechecks-wizard.exe ps-prechecks.exe; do
  [ -f "dist/ps-prechecks-wizard/$exe" ] || { echo "build-windows: dist/ps-prechecks-wizard/$exe was not built" >&2; exit 1; }
  if [ -n "${WINDOWS_SIGN_COMMAND:-}" ]; then
    eval "$WINDOWS_SIGN_COMMAND \"dist/ps-prechecks-wizard/$exe\""
  fi
done

iscc=$(command -v iscc || command -v ISCC || true)
for candidate in "/c/Program Files (x86)/Inno Setup 6/ISCC.exe" "/c/Program Files/Inno Setup 6/ISCC.exe"; do
  [ -n "$iscc" ] || { [ -x "$candidate" ] && iscc=$candidate; }
done
[ -n "$iscc" ] || { echo "build-windows: Inno Setup 6 (ISCC.exe) not found: choco install innosetup" >&2; exit 1; }
args=("/DAppVersion=$version" "/DAppNumericVersion=$(grep -o '^[0-9.]*[0-9]' <<< "$version")" /Qp)
if [ -n "${WINDOWS_SIGN_COMMAND:-}" ]; then
  args+=("/Ssigntool=$WINDOWS_SIGN_COMMAND \$f" /DSign=1)
fi
"$iscc" "${args[@]}" packaging/windows/ps-prechecks.iss
echo "build-windows: $(du -sh dist/ps-prechecks-wizard | cut -f1) in dist/ps-prechecks-wizard," \
     "$(du -h "dist/ps-prechecks-${version}-windows-x64-setup.exe" | cut -f1) in dist/ps-prechecks-${version}-windows-x64-setup.exe"
