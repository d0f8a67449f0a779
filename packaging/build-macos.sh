#!/usr/bin/env bash
# Builds the macOS installer, on a Mac (Python 3.11+ from python.org, Homebrew or actions/setup-python):
#   dist/ps-prechecks.app                             the wizard; the CLI is Contents/MacOS/ps-prechecks
#   dist/ps-prechecks-<version>-macos-<arch>.dmg      the .app beside a link to /Applications
# It runs on the architecture of the Python that builds it (arm64 on Apple silicon).
#
# Signing and notarisation are off unless these are set (the release workflow sets them from secrets):
#   MACOS_SIGN_IDENTITY  a "Developer ID Application: ..." identity in the keychain: every binary and the
#                        .app are signed with it and the hardened runtime (packaging/macos/entitlements.plist),
#                        then the .dmg. Unset: ad-hoc signatures; macOS then asks the user to approve the app
#                        (right-click > Open, or System Settings > Privacy & Security > Open Anyway).
#   NOTARY_APPLE_ID, NOTARY_TEAM_ID, NOTARY_PASSWORD (an app-specific password): with an identity, the .dmg
#                        is sent to Apple's notary service (xcrun notarytool, waits) and the ticket stapled.
set -euo pipefail
cd "$(dirname "$0")/.."
source packaging/lib.sh
[ "$(uname -s)" = Darwin ] || { echo "build-macos: run this on macOS" >&2; exit 1; }

version=$(app_version)
arch=$(uname -m)
build_venv
build_icons
build_bundle   # the spec signs with MACOS_SIGN_IDENTITY, or ad hoc
app=dist/ps-prechecks.app
for exe in ps-prechecks-wizard ps-prechecks; do
  [ -x "$app/Contents/MacOS/$exe" ] || { echo "build-macos: $app/Contents/MacOS/$exe was not built" >&2; exit 1; }
done
codesign --verify --deep --strict "$app"
plutil -extract CFBundleShortVersionString raw "$app/Contents/Info.plist" | grep -qx "$version"

dmg="dist/ps-prechecks-${version}-macos-${arch}.dmg"
stage=build/dmg
rm -rf "$stage" "$dmg"
mkdir -p "$stage"
cp -R "$app" "$stage/"
ln -s /Applications "$stage/Applications"
hdiutil create -quiet -volname "ps-prechecks $version" -srcfolder "$stage" -fs HFS+ -format UDZO -ov "$dmg"

if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
  codesign --force --timestamp --sign "$MACOS_SIGN_IDENTITY" "$dmg"
  if [ -n "${NOTARY_APPLE_ID:-}" ] && [ -n "${NOTARY_TEAM_ID:-}" ] && [ -n "${NOTARY_PASSWORD:-}" ]; then
    xcrun notarytool submit "$dmg" --apple-id "$NOTARY_APPLE_ID" --team-id "$NOTARY_TEAM_ID" \
      --password "$NOTARY_PASSWORD" --wait
    xcrun stapler staple "$dmg"
    spctl --assess --type open --context context:primary-signature --verbose "$dmg"
  else
    echo "build-macos: signed, not notarised (NOTARY_APPLE_ID / NOTARY_TEAM_ID / NOTARY_PASSWORD unset)" >&2
  fi
else
  echo "build-macos: ad-hoc signed, not notarised (MACOS_SIGN_IDENTITY unset)" >&2
fi
echo "build-macos: $(du -sh "$app" | cut -f1) in $app, $(du -h "$dmg" | cut -f1) in $dmg"
