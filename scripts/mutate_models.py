#!/usr/bin/env python3
"""Mutation robustness test of the edgerun CLI on damaged models.

Takes every real model under <shared>/models, makes random mutations
(truncations, bit flips, byte overwrites, "interesting" 32-bit words, deleted
ranges), adds random garbage files, an empty file, a directory, a FIFO, a
nonexistent path and a symlink loop, and runs `edgerun inspect MODEL` on each
with a timeout. A run fails when it
  * dies from a signal (crash, abort, sanitizer trap),
  * hangs (runs past --timeout),
  * exits with anything but 0 (loaded) or 2 (rejected), or
  * exits 2 without printing exactly one line on stderr.
Failing inputs are kept in --findings with a note of the command; the exit
status is 1 when any run failed.

Runs are reproducible: the seed is printed and --seed replays it. Until the
CLI has the `inspect` subcommand, the old shape `edgerun MODEL` is used.
"""

import argparse
import concurrent.futures
import os
import pathlib
import random
import signal
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
INTERESTING_WORDS = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF,
                     0x80000000, 0xFFFFFFFF, 0xFFFFFFFE, 4, 8, 16, 64]


def mutate(data, rng):
    """One random mutation of `data`; returns (kind, bytes)."""
    size = len(data)
    kind = rng.choice(["truncate", "bitflip", "overwrite", "word", "delete"])
    if size == 0:
        kind = "overwrite"
    buf = bytearray(data)
    if kind == "truncate":
        return kind, bytes(buf[:rng.randrange(size)])
    if kind == "bitflip":
        for _ in range(rng.randint(1, 8)):
            buf[rng.randrange(size)] ^= 1 << rng.randrange(8)
    elif kind == "overwrite":
        if size == 0:
            return kind, bytes(rng.randrange(256) for _ in range(16))
        for _ in range(rng.randint(1, 16)):
            buf[rng.randrange(size)] = rng.choice([0, 0xFF, rng.randrange(256)])
    elif kind == "word":
        # Offsets, sizes and counts are 32-bit words: hit them with extremes.
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(max(1, size - 3)) & ~3
            word = rng.choice(INTERESTING_WORDS + [size, size - 4, size + 4])
            buf[at:at + 4] = (word & 0xFFFFFFFF).to_bytes(4, "little")[:size - at]
    elif kind == "delete":
        start = rng.randrange(size)
        end = min(size, start + rng.randint(1, max(1, size // 8)))
        del buf[start:end]
    return kind, bytes(buf)


def garbage(rng):
    size = rng.choice([1, 7, 8, 12, 64, 1000, rng.randrange(1, 65536)])
    data = bytearray(rng.randrange(256) for _ in range(size))
    if size >= 8 and rng.random() < 0.5:
        data[4:8] = b"TFL3"  # get past the identifier check
        data[0:4] = rng.randrange(size).to_bytes(4, "little")
    return bytes(data)


class Runner:
    def __init__(self, cli, shape, timeout, findings):
        self.cli = cli
        self.shape = shape
        self.timeout = timeout
        self.findings = findings
        self.failures = []

    def command(self, path):
        return [str(self.cli)] + (["inspect"] if self.shape == "inspect" else []) + [str(path)]

    def run(self, label, path, keep_bytes=None, must_load=False):
        """Runs the CLI on `path`; returns its exit status or "fail"."""
        cmd = self.command(path)
        try:
            proc = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE,
                                  timeout=self.timeout)
        except subprocess.TimeoutExpired:
            return self.fail(label, keep_bytes, f"hang: no exit within {self.timeout}s")
        rc = proc.returncode
        stderr = proc.stderr.decode("utf-8", "replace")
        lines = stderr.splitlines()
        if rc < 0:
            return self.fail(label, keep_bytes,
                             f"killed by signal {signal.Signals(-rc).name}", stderr)
        if rc not in (0, 2):
            return self.fail(label, keep_bytes, f"exit status {rc}", stderr)
        if rc == 2 and len(lines) != 1:
            return self.fail(label, keep_bytes,
                             f"exit 2 with {len(lines)} stderr lines", stderr)
        if must_load and rc != 0:
            return self.fail(label, None, "a valid model was rejected", stderr)
        return rc

    def fail(self, label, data, why, stderr=""):
        note = f"{label}: {why}"
        if data is not None:
            name = label.replace("/", "_").replace(" ", "_")
            (self.findings / name).write_bytes(data)
            note += f" (input: {self.findings / name})"
        if stderr:
            note += "\n    stderr: " + stderr.strip().replace("\n", "\n    stderr: ")[:2000]
        self.failures.append(note)
        return "fail"


def detect_shape(cli):
    """'inspect' when the CLI has that subcommand, else 'plain' (the
    placeholder CLI that takes the model path directly)."""
    try:
        proc = subprocess.run([str(cli), "inspect", "--help"],
                              stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=60)
        return "inspect" if proc.returncode == 0 else "plain"
    except subprocess.TimeoutExpired:
        return "plain"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cli_path", nargs="?", type=pathlib.Path,
                        help="the CLI binary (same as --cli)")
    parser.add_argument("--cli", type=pathlib.Path, default=REPO / "build" / "edgerun")
    parser.add_argument("--shared", type=pathlib.Path,
                        default=pathlib.Path(os.environ.get(
                            "EDGERUN_SHARED_DIR", REPO.parent / "shared")))
    parser.add_argument("--mutants", type=int,
                        default=int(os.environ.get("MUTANTS", "12")),
                        help="mutants per model (env MUTANTS; default 12)")
    parser.add_argument("--garbage", type=int, default=40,
                        help="random garbage files (default 40)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds per run before it counts as a hang")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--findings", type=pathlib.Path,
                        default=REPO / "fuzz" / "corpus-work" / "mutate-findings")
    args = parser.parse_args()
    if args.cli_path is not None:
        args.cli = args.cli_path

    if not os.access(args.cli, os.X_OK):
        print(f"mutate_models: no CLI at {args.cli} (build it, or pass --cli)",
              file=sys.stderr)
        return 2
    models = sorted((args.shared / "models").rglob("*.tflite"))
    if not models:
        print(f"mutate_models: warning: no models under {args.shared}/models; "
              "only garbage and odd paths are tried", file=sys.stderr)
    shape = detect_shape(args.cli)
    seed = args.seed if args.seed is not None else random.randrange(1 << 31)
    print(f"mutate_models: {len(models)} models x {args.mutants} mutants, "
          f"{args.garbage} garbage files, seed {seed}, cli '{args.cli}"
          f"{' inspect' if shape == 'inspect' else ''} MODEL', {args.jobs} jobs")

    args.findings.mkdir(parents=True, exist_ok=True)
    runner = Runner(args.cli, shape, args.timeout, args.findings)
    counts = {0: 0, 2: 0, "fail": 0}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="edgerun-mutate-") as tmp:
        tmp = pathlib.Path(tmp)
        # Fixed odd inputs: no bytes to keep, the label says what it was.
        (tmp / "empty.tflite").write_bytes(b"")
        (tmp / "a_directory.tflite").mkdir()
        os.mkfifo(tmp / "fifo.tflite")
        os.symlink(tmp / "loop.tflite", tmp / "loop.tflite")
        specials = [("empty file", tmp / "empty.tflite"),
                    ("directory", tmp / "a_directory.tflite"),
                    ("fifo", tmp / "fifo.tflite"),
                    ("symlink loop", tmp / "loop.tflite"),
                    ("nonexistent path", tmp / "does" / "not" / "exist.tflite")]

        def job(item):
            label, make = item
            if isinstance(make, pathlib.Path):
                return runner.run(label, make,
                                  must_load=label.endswith("(unchanged)"))
            data = make()
            path = tmp / (label.replace("/", "_").replace(" ", "_") + ".tflite")
            path.write_bytes(data)
            try:
                return runner.run(label, path, keep_bytes=data)
            finally:
                path.unlink()

        # Each work item gets its own generator so results do not depend on
        # the order threads run them in.
        def mutant(model, index):
            def make():
                rng = random.Random(f"{seed}/{model}/{index}")
                kind, data = mutate(model.read_bytes(), rng)
                for _ in range(rng.choice([0, 0, 1, 3])):  # sometimes stack more
                    kind, data = mutate(data, rng)
                return data
            return make

        items = list(specials)
        for model in models:
            rel = model.relative_to(args.shared / "models")
            items += [(f"{rel}#{i}", mutant(model, i)) for i in range(args.mutants)]
        items += [(f"garbage#{i}", (lambda i=i: garbage(random.Random(f"{seed}/g{i}"))))
                  for i in range(args.garbage)]
        # Valid models must still load (catches a CLI that rejects all).
        items += [(f"{m.relative_to(args.shared / 'models')} (unchanged)", m)
                  for m in models]
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            for result in pool.map(job, items):
                counts[result] += 1

    elapsed = time.monotonic() - started
    print(f"mutate_models: {sum(counts.values())} runs in {elapsed:.1f}s: "
          f"{counts[0]} loaded, {counts[2]} rejected, {counts['fail']} failed")
    for note in runner.failures:
        print("FAIL " + note, file=sys.stderr)
    if runner.failures:
        print(f"mutate_models: failing inputs in {args.findings}; replay with "
              f"--seed {seed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
