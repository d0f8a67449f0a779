# Shared steps of packaging/build-{linux,macos,windows}.sh (sourced, run from the repository root):
# a build venv from requirements-build.lock, the icons, the PyInstaller folder.
# shellcheck shell=bash

# The one version number (prechecks/__init__.py), read without importing anything
app_version() {
  sed -n 's/^__version__ = "\(.*\)"$/\1/p' prechecks/__init__.py
}

# build/venv with the hash-checked build lock (PyInstaller + the runtime dependencies); reinstalled
# only when the lock changes. Sets $venv_python.
build_venv() {
  local python=${PYTHON:-}
  if [ -z "$python" ]; then
    if command -v python3 >/dev/null 2>&1; then python=python3; else python=python; fi
  fi
  if [ ! -d build/venv ]; then
    "$python" -m venv build/venv
  fi
  if [ -x build/venv/bin/python ]; then venv_python=build/venv/bin/python; else venv_python=build/venv/Scripts/python.exe; fi
  local stamp
  stamp="build/venv/.installed-$(cksum < requirements-build.lock | cut -d' ' -f1)"
  if [ ! -f "$stamp" ]; then
    echo "packaging: installing requirements-build.lock into build/venv" >&2
    "$venv_python" -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-build.lock
    rm -f build/venv/.installed-*
    touch "$stamp"
  fi
}

# build/icons/: PNGs, .ico and .icns rendered from resources/icon.svg
build_icons() {
  QT_QPA_PLATFORM=offscreen "$venv_python" packaging/make_icons.py build/icons
}

# dist/ps-prechecks-wizard/ (and on macOS dist/ps-prechecks.app); the PyInstaller log goes to build/pyinstaller.log
build_bundle() {
  rm -rf dist/ps-prechecks-wizard dist/ps-prechecks.app
  if ! "$venv_python" -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
       packaging/ps-prechecks.spec > build/pyinstaller.log 2>&1; then
    tail -40 build/pyinstaller.log >&2
    echo "packaging: PyInstaller failed (whole log: build/pyinstaller.log)" >&2
    return 1
  fi
}
