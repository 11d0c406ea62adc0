#!/usr/bin/env bash
# What the device machine lacks, fetched here before a device run: the Python packages livedream needs that its
# image does not hold (CPython 3.12 manylinux x86-64 wheels, into .whl/) and the GL loader libraries (glvnd)
# for NVIDIA's EGL (Debian packages, into .gl/). Both folders are git-ignored; the device `run` carries them.
#
#   bash bench/gpu/fetch_wheels.sh          # PYTHON=... for a Python with pip (default python3)
#
# aubio-ledfx's wheel also ships a 32 MB copy of libaubio for C users that its Python module does not load
# (the module links it statically): it is dropped, which brings the carried total under the 64 MiB limit.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python3}
rm -rf .whl
mkdir -p .whl
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d .whl \
  av==18.1.0 aubio-ledfx==0.4.12 moderngl==5.13.0 glcontext==3.1.0
"$PY" - .whl/aubio_ledfx-*.whl <<'EOF'
import os, sys, zipfile

src = sys.argv[1]
tmp = src + ".slim"
drop = lambda name: name.startswith(".aubio_ledfx.mesonpy.libs/") or ".data/headers/" in name
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout:
    for item in zin.infolist():
        if drop(item.filename):
            continue
        data = zin.read(item.filename)
        if item.filename.endswith(".dist-info/RECORD"):
            data = "".join(l + "\n" for l in data.decode().splitlines() if not drop(l)).encode()
        zout.writestr(item, data)
print(f"{os.path.basename(src)}: {os.path.getsize(src) >> 20} MiB -> {os.path.getsize(tmp) >> 20} MiB")
os.replace(tmp, src)
EOF
if command -v apt-get >/dev/null; then
  rm -rf .gl
  mkdir -p .gl /tmp/amd64/partial
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  # shellcheck disable=SC2086
  apt-get $o update -qq && (cd .gl && apt-get $o download -qq libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi
du -ch .whl .gl 2>/dev/null | tail -n 1
git ls-files -z | xargs -0 du -cb | tail -n 1 | awk '{printf "tracked files: %.1f MiB\n", $1 / 1048576}'
