#!/usr/bin/env bash
# Installs what mlloop needs to build, test and benchmark on Debian 12.
# Idempotent: packages already installed are skipped; apt-get runs only when something is missing.
#   scripts/setup.sh build   libraries and tools to build mlloop and run the demo
#   scripts/setup.sh test    + what the test suite needs (Python for scenarios, Chromium, npm packages)
#   scripts/setup.sh bench   + the Python peers the benchmarks compare against
set -euo pipefail
profile="${1:-build}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

build_pkgs=(build-essential cmake ccache pkg-config
  libfmt-dev nlohmann-json3-dev libcli11-dev libtomlplusplus-dev libfast-float-dev
  libxxhash-dev libsqlite3-dev libgtest-dev libgmock-dev
  libeigen3-dev liblbfgspp-dev libxgboost-dev libtorch-dev
  libopenblas0-openmp libcpp-httplib-dev)  # libtorch's matrix products: Debian's default reference BLAS is ~3x slower
test_pkgs=(python3 chromium)  # Chromium: the browser tests drive Debian's build (never a downloaded one)
bench_pkgs=(python3-pandas python3-numpy python3-sklearn python3-xgboost python3-optuna time)

want=("${build_pkgs[@]}")
case "$profile" in
  build) ;;
  test) want+=("${test_pkgs[@]}") ;;
  bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "usage: scripts/setup.sh build|test|bench" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: Debian packages for '$profile' already installed"
fi

# npm packages (web/package-lock.json): ECharts, compiled into the binary as the dashboard's
# charting library, and playwright-core, which drives Chromium in the browser tests. The
# machine's Node.js and npm are used; `npm ls` tells whether the locked tree is in place.
if ! command -v npm >/dev/null; then
  # Only when there is no npm at all: a Node.js installed another way keeps its own npm.
  echo "setup: npm is missing: installing Debian's nodejs and npm"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi
if npm ls --prefix "$root/web" --all >/dev/null 2>&1; then
  echo "setup: npm packages already installed"
else
  echo "setup: installing npm packages in web/ (npm ci)"
  (cd "$root/web" && npm ci --no-audit --no-fund --loglevel=error)
fi
