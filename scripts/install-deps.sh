#!/usr/bin/env bash
# Installs edgerun's build and test dependencies from Debian 12 packages.
# Idempotent: packages already present are skipped by apt. Runs apt-get as
# root, or through sudo when not root.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  clang libclang-rt-dev
  flatbuffers-compiler libflatbuffers-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libxnnpack-dev libpthreadpool-dev
  libsodium-dev libssl-dev libcurl4-openssl-dev libcpp-httplib-dev
  libstb-dev libturbojpeg0-dev libjpeg-dev libpng-dev zlib1g-dev
  python3 python3-numpy

)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
