#!/usr/bin/env bash
# Tests what packaging/build-linux.sh built, as a DBA would use it:
#   0. the folder is at most $SIZE_LIMIT_MB MB (140);
#   1. both frozen executables report the one version number;
#   2. the frozen wizard's --self-test passes offscreen, 5 runs, median within $SELF_TEST_LIMIT s (2);
#   3. the frozen CLI collects from a throwaway MariaDB (password in an option file, never in argv)
#      into an archive whose every file matches manifest.json;
#   4. the .deb: metadata, contents, /usr/bin links, desktop entry, icons, and that apt can resolve
#      its Depends (simulated: nothing is installed).
# Exits non-zero on the first failure; removes its temp files and stops its server in any case.
set -euo pipefail
cd "$(dirname "$0")/.."
source packaging/lib.sh

bundle=dist/ps-prechecks-wizard
version=$(app_version)
deb=dist/ps-prechecks_${version}_$(dpkg --print-architecture).deb
limit=${SELF_TEST_LIMIT:-2}
python=build/venv/bin/python   # build-linux.sh made it: runs the MariaDB helper and the archive check

scratch=$(mktemp -d -t ps-prechecks-smoke.XXXXXX)
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() { echo "smoke-linux: FAILED: $*" >&2; exit 1; }
step() { echo "smoke-linux: $*"; }

for path in "$bundle/ps-prechecks-wizard" "$bundle/ps-prechecks" "$deb" "$python"; do
  [ -e "$path" ] || fail "$path is missing: run packaging/build-linux.sh first"
done

# 0. size
size_mb=$(du -sm "$bundle" | cut -f1)
[ "$size_mb" -le "${SIZE_LIMIT_MB:-140}" ] || fail "$bundle is $size_mb MB, over ${SIZE_LIMIT_MB:-140} MB"
step "$bundle: $size_mb MB"

# 1. version
[ "$("$bundle/ps-prechecks" --version)" = "ps-prechecks $version" ] || fail "ps-prechecks --version is not $version"
[ "$("$bundle/ps-prechecks-wizard" --version)" = "ps-prechecks-wizard $version" ] ||
  fail "ps-prechecks-wizard --version is not $version"
step "version $version in both executables"

# 2. self-test, timed (wall clock, from exec to exit)
times=()
for run in 1 2 3 4 5; do
  start=$(date +%s%N)
  QT_QPA_PLATFORM=offscreen "$bundle/ps-prechecks-wizard" --self-test > "$scratch/self-test.log" 2>&1 ||
    { cat "$scratch/self-test.log" >&2; fail "frozen --self-test, run $run"; }
  times+=($(( ($(date +%s%N) - start) / 1000000 )))
done
mapfile -t sorted < <(printf '%s\n' "${times[@]}" | sort -n)
best=${sorted[0]} median=${sorted[2]}
step "$(grep '^self-test:' "$scratch/self-test.log")"
step "frozen --self-test wall time over 5 runs: best ${best} ms, median ${median} ms (runs: ${times[*]} ms)"
[ "$median" -le $(( limit * 1000 )) ] || fail "median self-test time ${median} ms is over ${limit} s"

# 3. the frozen CLI against a throwaway MariaDB
"$python" packaging/smoke_server.py "$scratch/client.cnf" 2> "$scratch/server.log" &
server_pid=$!
for _ in $(seq 600); do
  [ -f "$scratch/client.cnf" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$scratch/server.log" >&2; fail "the throwaway MariaDB did not start"; }
  sleep 0.1
done
[ -f "$scratch/client.cnf" ] || fail "the throwaway MariaDB did not start within a minute"
mkdir "$scratch/out"
start=$(date +%s%N)
rc=0
"$bundle/ps-prechecks" --defaults-file="$scratch/client.cnf" --sleep=1 --no-draft --output "$scratch/out" \
  > "$scratch/cli.out" 2> "$scratch/cli.err" < /dev/null || rc=$?
[ "$rc" = 0 ] || { tail -20 "$scratch/cli.err" >&2; fail "frozen ps-prechecks exited $rc"; }
cli_ms=$(( ($(date +%s%N) - start) / 1000000 ))
archive=$(tail -1 "$scratch/cli.out")
[ -f "$archive" ] || fail "the CLI's last line is not an archive: $archive"
tar -tzf "$archive" > "$scratch/members"
for member in facts.json manifest.json readiness.json submission.json freeform_questions.md; do
  grep -qxF "$member" "$scratch/members" || fail "$member is not in the archive"
done
grep -qE '^ps_report_[0-9_]+\.md$' "$scratch/members" || fail "the report is not in the archive"
"$python" packaging/check_archive.py "$archive" "$scratch/client.cnf" || fail "the archive is incomplete"
step "frozen CLI: $(basename "$archive"), $(wc -l < "$scratch/members") members, ${cli_ms} ms with --sleep=1; $(tail -2 "$scratch/cli.err" | head -1)"
kill -TERM "$server_pid" && wait "$server_pid" || true
server_pid=

# 4. the .deb
dpkg-deb --info "$deb" > "$scratch/info"
grep -qx " Package: ps-prechecks" "$scratch/info" || fail ".deb: wrong Package"
grep -qx " Version: $version" "$scratch/info" || fail ".deb: Version is not $version"
dpkg-deb --contents "$deb" > "$scratch/contents"
for path in ./opt/ps-prechecks/ps-prechecks-wizard ./opt/ps-prechecks/ps-prechecks \
            ./opt/ps-prechecks/_internal/docs/facts.md \
            ./usr/share/applications/ps-prechecks-wizard.desktop \
            ./usr/share/icons/hicolor/scalable/apps/ps-prechecks-wizard.svg \
            ./usr/share/icons/hicolor/256x256/apps/ps-prechecks-wizard.png ./usr/share/doc/ps-prechecks/copyright; do
  grep -q " $path\( \|$\)" "$scratch/contents" || fail ".deb lacks $path"
done
grep -E '^-' "$scratch/contents" | grep -v ' root/root ' && fail ".deb has files not owned by root"
root="$scratch/root"
dpkg-deb -x "$deb" "$root"
for exe in ps-prechecks-wizard ps-prechecks; do
  [ "$(readlink "$root/usr/bin/$exe")" = "/opt/ps-prechecks/$exe" ] || fail "/usr/bin/$exe does not link to /opt/ps-prechecks/$exe"
  [ -x "$root/opt/ps-prechecks/$exe" ] || fail "/opt/ps-prechecks/$exe is not executable"
done
[ "$("$root/opt/ps-prechecks/ps-prechecks" --version)" = "ps-prechecks $version" ] ||
  fail "the installed ps-prechecks does not run"
if ! command -v desktop-file-validate >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends desktop-file-utils >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends desktop-file-utils >/dev/null 2>&1; } || true
fi
if command -v desktop-file-validate >/dev/null 2>&1; then
  desktop-file-validate "$root/usr/share/applications/ps-prechecks-wizard.desktop" || fail "desktop entry invalid"
  step ".deb desktop entry: desktop-file-validate ok"
else
  step ".deb desktop entry: desktop-file-validate not available (apt-get install desktop-file-utils), not validated"
fi
# apt resolves the Depends against this machine's package lists, installs nothing (-s)
if ! apt-get install -s -q "./$deb" > "$scratch/apt.log" 2>&1; then
  if [ "$(id -u)" = 0 ] && apt-get update -q >/dev/null 2>&1 && apt-get install -s -q "./$deb" > "$scratch/apt.log" 2>&1; then
    :
  else
    tail -20 "$scratch/apt.log" >&2
    fail ".deb: apt cannot resolve its Depends"
  fi
fi
step ".deb: $(du -h "$deb" | cut -f1) $deb; apt would install it with $(grep -c '^Inst ' "$scratch/apt.log") package(s): $(grep '^Inst ' "$scratch/apt.log" | awk '{print $2}' | tr '\n' ' ')"
step "ok"
