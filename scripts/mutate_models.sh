#!/usr/bin/env bash
# Mutation robustness test of the CLI: damaged copies of every shared model
# (and garbage, empty files, a directory, a FIFO, missing paths) must make
# `edgerun inspect` exit 0 or 2 with one stderr line, never crash or hang.
#
#   scripts/mutate_models.sh [--cli build/edgerun] [--mutants N] [--seed S]
#
# Default run: 12 mutants per model (~1,000 runs, well under 2 minutes on 2
# cores); MUTANTS=100 or --mutants 100 for a longer one. Point --cli at a
# sanitizer build (build-fuzz/edgerun) to catch memory errors too. See
# scripts/mutate_models.py --help for all options.
set -euo pipefail
exec python3 "$(dirname "${BASH_SOURCE[0]}")/mutate_models.py" "$@"
