#!/usr/bin/env bash
# Download the official LivePortrait weights and export them for LivePuppet.
#
#   models/fetch_weights.sh [OUT_DIR]      (default OUT_DIR: models/exported)
#
# Needs internet access, curl and a python3 with torch + numpy (Debian:
# python3-torch python3-numpy; override with LIVEPUPPET_PYTHON=...). Downloads
# from HuggingFace KwaiVGI/LivePortrait, folder liveportrait/ (about 520 MB),
# resumable: run it again after an interruption and it continues where it
# stopped. HF_ENDPOINT selects a mirror (default https://huggingface.co).
#
# What is verified, honestly:
#   * retargeting_models/stitching_retargeting_module.pth: full sha256 (known).
#   * the four base_models/*.pth: we do not have their published hashes, so the
#     check is structural: the exporter loads each one strictly (every tensor
#     key, shape and dtype must be exactly the official ones), which catches a
#     truncated or wrong file, and it records each file's sha256 in
#     OUT_DIR/manifest.json for you to compare with the hashes HuggingFace shows.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-$HERE/exported}"
WEIGHTS="$HERE/pretrained_weights/liveportrait"
BASE_URL="${HF_ENDPOINT:-https://huggingface.co}/KwaiVGI/LivePortrait/resolve/main/liveportrait"
PYTHON="${LIVEPUPPET_PYTHON:-}"
if [[ -z "$PYTHON" ]]; then
  if [[ -x /usr/bin/python3 ]]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi

# file  sha256 (empty: unknown here, checked by the strict load instead)
FILES=(
  "base_models/appearance_feature_extractor.pth|"
  "base_models/motion_extractor.pth|"
  "base_models/warping_module.pth|"
  "base_models/spade_generator.pth|"
  "retargeting_models/stitching_retargeting_module.pth|3652d5a3f95099141a56986aaddec92fadf0a73c87a20fac9a2c07c32b28b611"
)

command -v curl >/dev/null || { echo "error: curl is not installed" >&2; exit 1; }
"$PYTHON" -c "import torch, numpy" 2>/dev/null || {
  echo "error: $PYTHON lacks torch or numpy (Debian: apt install python3-torch python3-numpy)" >&2
  exit 1; }

for entry in "${FILES[@]}"; do
  rel="${entry%%|*}"; want="${entry#*|}"
  dest="$WEIGHTS/$rel"
  mkdir -p "$(dirname "$dest")"
  if [[ -f "$dest" ]]; then  # complete files only: downloads land in $dest.part first
    if [[ -z "$want" ]]; then echo "ok       $rel (already here)"; continue; fi
    if echo "$want  $dest" | sha256sum --check --status; then
      echo "ok       $rel (sha256 matches)"; continue
    fi
    echo "warning: $rel has the wrong sha256, fetching it again"; rm -f "$dest"
  fi
  echo "fetching $rel"
  # -C -: resume a partial file; --fail: an HTTP error is an error, not a saved page.
  status=0
  curl --fail --location --retry 5 --retry-delay 3 --connect-timeout 20 -C - -o "$dest.part" "$BASE_URL/$rel" || status=$?
  if [[ $status -ne 0 ]]; then
    host="${BASE_URL#*://}"; host="${host%%/*}"
    case $status in
      5|6|7|28|35|56)  # proxy/host not resolved, no connection, timed out, TLS or connection dropped
        echo "error: cannot reach $host (curl exit $status): this machine seems to be offline." >&2
        echo "       Connect it to the internet (or set HF_ENDPOINT to a mirror) and run this again;" >&2
        echo "       what was downloaded so far is kept and the download resumes." >&2 ;;
      22)
        echo "error: $host refused $BASE_URL/$rel (HTTP error; see above). If you use a mirror, check HF_ENDPOINT." >&2 ;;
      23)
        echo "error: cannot write $dest.part (disk full or no permission)" >&2 ;;
      *)
        echo "error: download of $BASE_URL/$rel failed (curl exit $status); run this again to resume it" >&2 ;;
    esac
    exit 1
  fi
  mv "$dest.part" "$dest"
  if [[ -n "$want" ]]; then
    if ! echo "$want  $dest" | sha256sum --check --status; then
      echo "error: $dest: sha256 mismatch (expected $want); file removed" >&2
      rm -f "$dest"; exit 1
    fi
    echo "ok       $rel (sha256 matches)"
  else
    echo "ok       $rel ($(stat -c %s "$dest") bytes; checked by the strict load below)"
  fi
done

echo "exporting to $OUT"
"$PYTHON" "$HERE/export_torchscript.py" --checkpoints "$WEIGHTS" --out "$OUT"
echo "done: LivePuppet finds the neural engine in $OUT"
