#!/usr/bin/env bash
# edgerun's main job, from a fresh Debian 12 machine:
#   1. install dependencies (apt) and build the CLI and the demo model tool;
#   2. generate a small MobileNet-shaped uint8 classifier with the public
#      ModelBuilder (embedded default: nothing from outside the repo),
#      inspect it and run it on the CPU interpreter;
#   3. when ../shared is present, classify bird.bmp with
#      mobilenet_v2_1.0_224_quant and print the top-5 labels.
set -euo pipefail
root="$(cd "$(dirname "$0")" && pwd)"
cd "$root"
shared="${EDGERUN_SHARED_DIR:-$root/../shared}"

bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target edgerun_cli make_demo_model -j "$(nproc)"

mkdir -p build/demo
echo
echo "== generate a model with the ModelBuilder"
build/make_demo_model build/demo/demo_classifier.tflite build/demo/labels.txt
echo
echo "== edgerun inspect build/demo/demo_classifier.tflite"
build/edgerun inspect build/demo/demo_classifier.tflite
echo
echo "== edgerun run build/demo/demo_classifier.tflite (seeded random image)"
build/edgerun run build/demo/demo_classifier.tflite --labels build/demo/labels.txt \
  --top-k 3 --output-dir build/demo/outputs

model="$shared/models/mobilenet_v2_1.0_224_quant.tflite"
if [ -f "$model" ]; then
  echo
  echo "== edgerun run mobilenet_v2_1.0_224_quant on bird.bmp"
  build/edgerun run "$model" --input "$shared/models/bird.bmp" \
    --labels "$shared/models/imagenet_labels.txt" --top-k 5
else
  echo
  echo "(no $model: skipping the real-model example)"
fi
