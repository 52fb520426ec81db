#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs `mlloop demo`
# on the bundled credit_data.csv in a fresh folder under the current directory.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh" build
bash "$root/scripts/build.sh" -DMLLOOP_BUILD_TESTS=OFF -DMLLOOP_BUILD_BENCH=OFF
"$root/build/mlloop" demo "$@"
