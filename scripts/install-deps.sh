#!/usr/bin/env bash
# Installs every build and run dependency of LivePuppet from Debian bookworm main.
# Idempotent: packages already present are left alone, and `apt-get update` runs
# at most once, only when something is missing. Uses sudo when not root.
set -euo pipefail

PACKAGES=(
  # toolchain
  cmake ninja-build pkg-config g++ make
  # neural engine: LibTorch (C++) and PyTorch (exporter, parity fixtures)
  libtorch-dev python3-torch python3-numpy
  # GUI: Dear ImGui (libimgui.a + backend sources), GLFW, OpenGL, stb (imgui.pc needs it)
  libimgui-dev libstb-dev libglfw3-dev libgl-dev
  # vision and media
  libopencv-dev libdlib-dev libdlib-data
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev
  # settings
  nlohmann-json3-dev
  # dlib's landmark model ships bzip2-compressed: unpacked with libbz2 (or bzip2)
  libbz2-dev bzip2
  # models/fetch_weights.sh (online users only)
  curl
  # tests: GoogleTest (headers, libraries and CMake config are in libgtest-dev;
  # googletest alone is only its sources), a virtual X server with Mesa's
  # software OpenGL, ffmpeg/ffprobe (test media and checks of written files)
  libgtest-dev xvfb xauth libgl1-mesa-dri ffmpeg
  # the default portrait (NASA astronaut, public domain) ships with scikit-image
  python3-skimage
)

missing=()
for p in "${PACKAGES[@]}"; do
  # dpkg-query prints "install ok installed" only for a fully installed package.
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

if ! command -v apt-get >/dev/null || ! command -v dpkg-query >/dev/null; then
  echo "install-deps: apt-get/dpkg not found: LivePuppet's setup needs Debian 12 (bookworm);" \
       "elsewhere install the equivalents of: ${missing[*]}" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q "${missing[@]}"
