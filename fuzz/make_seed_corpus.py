#!/usr/bin/env python3
"""Builds the seed corpus of load_model_fuzzer into a work directory.

Seeds, all at most --max-len bytes (libFuzzer truncates longer ones, which
would only exercise the "truncated file" path):
  real-*   the shared models that are small enough, byte for byte;
  skel-*   every shared model as a "skeleton": same graph, tensors, names,
           operator codes, options and signatures, but constant data
           dropped (those tensors become variables, so the model still
           passes full verification), per-channel quantization cut to a few
           channels and huge custom options (Edge TPU bytecode) shortened;
  craft-*  small hand-shaped models that reach verifier branches the real
           models do not: string constants, int4, external buffers, control
           flow subgraph indices, signatures, metadata, sparsity, ...

The shared models are read from ../shared (or --shared / EDGERUN_SHARED_DIR)
at fuzz time; nothing from there is ever committed. Needs flatc (JSON <->
binary with the project's schema) and Python 3.
"""

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parent.parent
SCHEMA = REPO / "src" / "format" / "schema" / "tflite.fbs"

# Constant buffers up to this size stay (biases, shape tensors, metadata).
KEEP_BUFFER_BYTES = 64
# Per-channel quantization is cut to this many channels in skeletons.
MAX_CHANNELS = 4
MAX_CUSTOM_OPTIONS = 64


def flatc_to_json(flatc, model, workdir):
    subprocess.run([flatc, "--json", "--strict-json", "--raw-binary", "-o",
                    str(workdir), str(SCHEMA), "--", str(model)],
                   check=True, capture_output=True)
    path = workdir / (model.stem + ".json")
    with open(path) as f:
        data = json.load(f)
    path.unlink()
    return data


def json_to_flatbuffer(flatc, doc, workdir, name="model"):
    src = workdir / (name + ".json")
    with open(src, "w") as f:
        json.dump(doc, f)
    subprocess.run([flatc, "-b", "-o", str(workdir), str(SCHEMA), str(src)],
                   check=True, capture_output=True)
    out = workdir / (name + ".tflite")
    data = out.read_bytes()
    src.unlink()
    out.unlink()
    return data


def shrink_quantization(tensor):
    """Cuts per-channel quantization to MAX_CHANNELS; True if it did."""
    q = tensor.get("quantization")
    if not q or len(q.get("scale", [])) <= MAX_CHANNELS:
        return False
    shape = tensor.get("shape", [])
    dim = q.get("quantized_dimension", 0)
    if not 0 <= dim < len(shape):
        dim = 0  # the rank-1 case the loader tolerates (person_detect)
    if shape:
        shape[dim] = MAX_CHANNELS
        if "shape_signature" in tensor and tensor["shape_signature"][dim] != -1:
            tensor["shape_signature"][dim] = MAX_CHANNELS
    for key in ("scale", "zero_point", "min", "max"):
        if key in q:
            q[key] = q[key][:MAX_CHANNELS]
    return True


def skeletonize(doc):
    buffers = doc.get("buffers", [])
    tensors = [t for g in doc.get("subgraphs", []) for t in g.get("tensors", [])]
    dropped = {i for i, b in enumerate(buffers)
               if len(b.get("data", [])) > KEEP_BUFFER_BYTES}
    for t in tensors:
        # A shrunk shape no longer matches its constant: drop that too.
        if shrink_quantization(t) and t.get("buffer", 0) != 0:
            dropped.add(t["buffer"])
    for i in dropped:
        buffers[i].pop("data", None)
    for t in tensors:
        if t.get("buffer", 0) in dropped:
            t["is_variable"] = True
    for graph in doc.get("subgraphs", []):
        for op in graph.get("operators", []):
            if len(op.get("custom_options", [])) > MAX_CUSTOM_OPTIONS:
                op["custom_options"] = op["custom_options"][:MAX_CUSTOM_OPTIONS]
    return doc


def shorten_names(doc, limit=12):
    """Last resort for skeletons over --max-len: long scoped tensor names."""
    for graph in doc.get("subgraphs", []):
        for t in graph.get("tensors", []):
            if len(t.get("name", "")) > limit:
                t["name"] = t["name"][-limit:]
    return doc


def tensor(name, shape, dtype="INT8", buffer=0, **extra):
    t = {"name": name, "shape": shape, "type": dtype, "buffer": buffer}
    t.update(extra)
    return t


def quant(scales, zero_points=None, dim=0):
    return {"scale": scales,
            "zero_point": zero_points or [0] * len(scales),
            "quantized_dimension": dim}


def le32(values):
    out = []
    for v in values:
        out += list((v & 0xFFFFFFFF).to_bytes(4, "little"))
    return out


def crafted_models():
    """Small models, each aimed at one area of the verifier."""
    codes = [{"deprecated_builtin_code": 19, "builtin_code": "RELU"}]

    def model(tensors, operators, buffers=None, op_codes=None, **extra):
        doc = {
            "version": 3,
            "operator_codes": op_codes or codes,
            "subgraphs": [{"tensors": tensors, "inputs": [0],
                           "outputs": [len(tensors) - 1],
                           "operators": operators, "name": "main"}],
            "buffers": buffers or [{}],
        }
        doc.update(extra)
        return doc

    relu = {"opcode_index": 0, "inputs": [0], "outputs": [1]}
    yield "minimal", model([tensor("in", [1, 4]), tensor("out", [1, 4])],
                           [relu])

    # Per-tensor and per-channel quantization, shape signature, constants.
    add_codes = [{"deprecated_builtin_code": 0, "builtin_code": "ADD"}]
    yield "quantized_const", model(
        [tensor("in", [1, 2, 3], quantization=quant([0.5], [3]),
                shape_signature=[-1, 2, 3]),
         tensor("w", [1, 2, 3], buffer=1, quantization=quant([0.1, 0.2], dim=1)),
         tensor("out", [1, 2, 3], quantization=quant([0.25], [-1]))],
        [{"opcode_index": 0, "inputs": [0, 1], "outputs": [2],
          "builtin_options_type": "AddOptions",
          "builtin_options": {"fused_activation_function": "RELU6"}}],
        buffers=[{}, {"data": list(range(6))}], op_codes=add_codes)

    # String constant: count, offsets, bytes.
    strings = le32([2, 16, 18, 21]) + list(b"hiabc")
    yield "string_const", model(
        [tensor("in", [2], "STRING"), tensor("s", [2], "STRING", buffer=1),
         tensor("out", [2], "STRING")],
        [{"opcode_index": 0, "inputs": [0, 1], "outputs": [2]}],
        buffers=[{}, {"data": strings}], op_codes=add_codes)

    # int4 packed (5 elements in 3 bytes) and int64 constants.
    yield "int4_const", model(
        [tensor("in", [5], "INT4"), tensor("w4", [5], "INT4", buffer=1),
         tensor("w64", [2], "INT64", buffer=2), tensor("out", [5], "INT4")],
        [{"opcode_index": 0, "inputs": [0, 1, 2], "outputs": [3]}],
        buffers=[{}, {"data": [0x12, 0x34, 0x05]},
                 {"data": [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]}],
        op_codes=add_codes)

    # Control flow: WHILE/IF/CALL_ONCE name other subgraphs.
    flow_codes = [{"deprecated_builtin_code": 119, "builtin_code": "WHILE"},
                  {"deprecated_builtin_code": 118, "builtin_code": "IF"},
                  # Codes above 127 leave the byte-sized field at 127.
                  {"deprecated_builtin_code": 127, "builtin_code": "CALL_ONCE"},
                  {"deprecated_builtin_code": 19, "builtin_code": "RELU"}]
    body = {"tensors": [tensor("x", [1]), tensor("y", [1])], "inputs": [0],
            "outputs": [1], "name": "body",
            "operators": [{"opcode_index": 3, "inputs": [0], "outputs": [1]}]}
    doc = model(
        [tensor("c", [1], "BOOL"), tensor("a", [1]), tensor("b", [1]),
         tensor("out", [1])],
        [{"opcode_index": 2, "builtin_options_type": "CallOnceOptions",
          "builtin_options": {"init_subgraph_index": 1}},
         {"opcode_index": 0, "inputs": [1], "outputs": [2],
          "builtin_options_type": "WhileOptions",
          "builtin_options": {"cond_subgraph_index": 1,
                              "body_subgraph_index": 1}},
         {"opcode_index": 1, "inputs": [0, 2], "outputs": [3],
          "builtin_options_type": "IfOptions",
          "builtin_options": {"then_subgraph_index": 1,
                              "else_subgraph_index": 1}}],
        op_codes=flow_codes)
    doc["subgraphs"][0]["inputs"] = [0, 1]
    doc["subgraphs"].append(body)
    yield "control_flow", doc

    # Custom op with options, optional input, intermediates, variables.
    custom_codes = [{"deprecated_builtin_code": 32, "builtin_code": "CUSTOM",
                     "custom_code": "fuzz-op", "version": 2}]
    yield "custom_op", model(
        [tensor("in", [3]), tensor("state", [3], is_variable=True),
         tensor("tmp", [3]), tensor("out", [3])],
        [{"opcode_index": 0, "inputs": [0, -1, 1], "outputs": [3],
          "intermediates": [2], "mutating_variable_inputs": [False, False, True],
          "custom_options": [1, 2, 3, 4], "custom_options_format": "FLEXBUFFERS"}],
        op_codes=custom_codes)

    # Signatures and metadata (min_runtime_version, metadata_buffer).
    yield "signature_metadata", model(
        [tensor("in", [1, 4]), tensor("out", [1, 4])], [relu],
        buffers=[{}, {"data": list(b"1.14.0\0\0")}, {"data": [7, 7, 7, 7]}],
        description="fuzz seed",
        metadata=[{"name": "min_runtime_version", "buffer": 1},
                  {"name": "TFLITE_METADATA", "buffer": 2}],
        metadata_buffer=[2],
        signature_defs=[{"signature_key": "serving_default",
                         "subgraph_index": 0,
                         "inputs": [{"name": "x", "tensor_index": 0}],
                         "outputs": [{"name": "y", "tensor_index": 1}]}])

    # Sparse tensor: a valid model the loader reports as unimplemented.
    yield "sparse", model(
        [tensor("in", [4]),
         tensor("w", [4], buffer=1, sparsity={
             "traversal_order": [0], "block_map": [],
             "dim_metadata": [{"format": "SPARSE_CSR", "dense_size": 4,
                               "array_segments_type": "Int32Vector",
                               "array_segments": {"values": [0, 2]},
                               "array_indices_type": "Uint8Vector",
                               "array_indices": {"values": [1, 3]}}]}),
         tensor("out", [4])],
        [{"opcode_index": 0, "inputs": [0, 1], "outputs": [2]}],
        buffers=[{}, {"data": [5, 6]}], op_codes=add_codes)


def external_buffer_model(flatc, workdir):
    """A model whose constant lives after the FlatBuffer (>2 GB layout)."""
    payload = bytes(range(16))
    doc = {
        "version": 3,
        "operator_codes": [{"deprecated_builtin_code": 0, "builtin_code": "ADD"}],
        "subgraphs": [{"tensors": [tensor("in", [16]),
                                   tensor("w", [16], buffer=1),
                                   tensor("out", [16])],
                       "inputs": [0], "outputs": [2], "name": "main",
                       "operators": [{"opcode_index": 0, "inputs": [0, 1],
                                      "outputs": [2],
                                      "large_custom_options_offset": 2,
                                      "large_custom_options_size": 4}]}],
        "buffers": [{}, {"offset": 2, "size": len(payload)}],
    }
    # Build once to learn the FlatBuffer's size, then point at the bytes
    # appended after it (the offset's value does not change the layout).
    size = len(json_to_flatbuffer(flatc, doc, workdir))
    offset = (size + 15) // 16 * 16
    doc["buffers"][1]["offset"] = offset
    doc["subgraphs"][0]["operators"][0]["large_custom_options_offset"] = offset
    fb = json_to_flatbuffer(flatc, doc, workdir)
    assert len(fb) == size
    return fb + bytes(offset - size) + payload


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=pathlib.Path, help="corpus directory")
    parser.add_argument("--shared", type=pathlib.Path,
                        default=pathlib.Path(os.environ.get(
                            "EDGERUN_SHARED_DIR", REPO.parent / "shared")))
    parser.add_argument("--max-len", type=int, default=65536)
    parser.add_argument("--flatc", default=shutil.which("flatc") or "flatc")
    args = parser.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    models = sorted((args.shared / "models").rglob("*.tflite"))
    if not models:
        print(f"make_seed_corpus: no models under {args.shared}/models; "
              "crafted seeds only", file=sys.stderr)
    counts = {"real": 0, "skel": 0, "craft": 0, "too_big": 0}

    def write(name, data):
        if len(data) > args.max_len:
            counts["too_big"] += 1
            print(f"make_seed_corpus: {name} is {len(data)} bytes > "
                  f"--max-len {args.max_len}; skipped", file=sys.stderr)
            return
        (args.out / name).write_bytes(data)
        counts[name.split("-", 1)[0]] += 1

    with tempfile.TemporaryDirectory() as tmp:
        workdir = pathlib.Path(tmp)
        for path in models:
            rel = path.relative_to(args.shared / "models")
            stem = str(rel.with_suffix("")).replace(os.sep, "_")
            if path.stat().st_size <= args.max_len:
                write(f"real-{stem}.tflite", path.read_bytes())
            doc = skeletonize(flatc_to_json(args.flatc, path, workdir))
            skeleton = json_to_flatbuffer(args.flatc, doc, workdir)
            if len(skeleton) > args.max_len:
                skeleton = json_to_flatbuffer(args.flatc, shorten_names(doc),
                                              workdir)
            write(f"skel-{stem}.tflite", skeleton)
        for name, doc in crafted_models():
            write(f"craft-{name}.tflite",
                  json_to_flatbuffer(args.flatc, doc, workdir))
        write("craft-external_buffer.tflite",
              external_buffer_model(args.flatc, workdir))

    print(f"make_seed_corpus: {counts['real']} real, {counts['skel']} "
          f"skeleton, {counts['craft']} crafted seeds in {args.out} "
          f"(from {len(models)} shared models)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
