#!/bin/sh
# ctest wrapper: livepuppet-cli parity on CPU in fp32, skipped (exit 77, reason
# printed) when the fixture or the exported models are missing.
# usage: run_parity.sh CLI MODELS_DIR FIXTURE_DIR
cli=$1 models=$2 fixture=$3
if [ ! -f "$fixture/index.json" ]; then
  echo "SKIP: needs the parity fixture $fixture (../shared is not there)"
  exit 77
fi
if [ ! -f "$models/manifest.json" ]; then
  echo "SKIP: no exported models at $models (the lp_models_seed1 fixture exports them)"
  exit 77
fi
exec "$cli" parity --models "$models" --fixture "$fixture" --device cpu --precision fp32
