#!/usr/bin/env bash
# Mutation robustness test of the CLI: damaged copies of every shared model
# (and garbage, empty files, a directory, a FIFO, missing paths) must make
# `edgerun inspect` exit 0 or 2 with one stderr line, never crash or hang.
#
#   scripts/mutate_models.sh [CLI] [--mutants N] [--seed S] [--jobs J]
#
# CLI defaults to build/edgerun. The default run (12 mutants per model,
# ~1,100 runs) takes well under 2 minutes on 2 cores; MUTANTS=100 or
# --mutants 100 for a longer one. Give it a sanitizer build
# (build-fuzz/edgerun) to catch memory errors too. All options:
# scripts/mutate_models.py --help.
set -euo pipefail
exec python3 "$(dirname "${BASH_SOURCE[0]}")/mutate_models.py" "$@"
