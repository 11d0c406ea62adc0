#!/usr/bin/env bash
# The whole GPU check in one go, for a lent device machine (bench/gpu/NOTES.md says how to call it):
# carried wheels and GL libraries, the gpu-marked tests, then each benchmark section in its own process,
# merged into bench/results/<device>.json and a copy in $OUT. Under 8 minutes by default (RUN_BUDGET_S).
#
#   bash bench/gpu/run.sh                       # on the device machine (CUDA)
#   OUT=/tmp/gpu-out bash bench/gpu/run.sh --device cpu --quick    # the rehearsal, here
#
# Environment: OUT (results folder, default /tmp/livedream-gpu-out), PYTHON (default: .venv/bin/python if
# there, else python3), RUN_BUDGET_S (default 450), SECTIONS (default: all; e.g. "generator,variants"),
# SKIP_TESTS=1 (skip pytest, e.g. on a second run).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=${OUT:-/tmp/livedream-gpu-out}
mkdir -p "$OUT"
START=$(date +%s)
BUDGET=${RUN_BUDGET_S:-450}
SECTIONS=${SECTIONS:-check,generator,variants,export,live,compile}
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
QUICK=0
for a in "$@"; do [[ $a == --quick ]] && QUICK=1; done
exec > >(tee "$OUT/run.log") 2>&1
export PYTHONUNBUFFERED=1

left() { echo $((BUDGET - ($(date +%s) - START))); }
say() { printf '\n=== %s (%ss left)\n' "$*" "$(left)"; }

say "set-up"
if compgen -G ".whl/*.whl" >/dev/null; then
  "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    && export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH} || echo "wheel install FAILED"
fi
export PYTHONPATH=$ROOT${PYTHONPATH:+:$PYTHONPATH}
if compgen -G ".gl/*.deb" >/dev/null; then  # GL loaders (glvnd) for NVIDIA's EGL: see the device README
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
EGL_JSON=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
if [[ -z "${__EGL_VENDOR_LIBRARY_FILENAMES:-}" && -f $EGL_JSON ]]; then export __EGL_VENDOR_LIBRARY_FILENAMES=$EGL_JSON; fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv
"$PYTHON" - <<'EOF'
import importlib, platform
import torch
print("python", platform.python_version(), "torch", torch.__version__, "cuda", torch.version.cuda,
      "device", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none")
for name in ("numpy", "av", "aubio", "moderngl", "glcontext", "yaml", "PIL"):
    try:
        m = importlib.import_module(name)
        print(f"  {name} {getattr(m, '__version__', '?')}")
    except Exception as exc:
        print(f"  {name} MISSING: {exc}")
EOF

if [[ ${SKIP_TESTS:-0} != 1 ]]; then
  say "gpu-marked tests"
  # The GPU checks, and the CPU tests of what the device runs (they must pass under its torch too).
  # torch.compile's own correctness is in the compile section (max_abs_vs_default_255), so -m "not slow".
  timeout 150 "$PYTHON" -m pytest -q -p no:cacheprovider -m "not slow" --junitxml="$OUT/pytest.xml" \
    tests/models/stylegan2/test_gpu.py tests/models/stylegan2/test_load.py tests/models/stylegan2/test_speed.py tests/render/test_upload.py \
    || echo "TESTS FAILED (rc $?)"
fi

PARTS=$(mktemp -d /tmp/livedream-bench-parts.XXXX)
DONE=()  # section results in run order
# section:seconds it may take at most (compile takes what is left)
for spec in check:45 generator:90 variants:75 export:60 live:45 compile:0; do
  name=${spec%%:*}
  want=${spec##*:}
  [[ ",$SECTIONS," == *",$name,"* ]] || continue
  rest=$(( $(left) - 15 ))  # keep time to merge
  budget=$(( want > 0 && want < rest ? want : rest ))
  if (( budget < 10 )); then say "$name: no time left, skipped"; continue; fi
  say "$name (budget ${budget}s)"
  timeout -k 5 $((budget + 30)) "$PYTHON" -m bench.gpu.bench_gpu "$@" --sections "$name" --budget-s "$budget" \
    --out "$PARTS/$name.json" --artifacts "$OUT" >"$PARTS/$name.log" 2>&1
  rc=$?
  grep -E "ERROR|Traceback|Error:|skipped|wrote" "$PARTS/$name.log" | tail -n 20
  (( rc != 0 )) && { echo "section $name exited with $rc; its log:"; tail -n 40 "$PARTS/$name.log"; }
  cat "$PARTS/$name.log" >>"$OUT/sections.log"
  [[ -s $PARTS/$name.json ]] && DONE+=("$PARTS/$name.json")
done

say "results"
MERGE_OUT=()
(( QUICK )) && MERGE_OUT=(--out "$PARTS/merged.json")  # a rehearsal writes no figures into bench/results/
if (( ${#DONE[@]} )); then
  "$PYTHON" -m bench.gpu.bench_gpu --merge "${DONE[@]}" "${MERGE_OUT[@]}" --copy-to "$OUT"
  rc=$?
else
  echo "no section wrote results"
  rc=1
fi
echo "run.sh finished in $(( $(date +%s) - START ))s; files in $OUT:"
ls -la "$OUT"
exit $rc
