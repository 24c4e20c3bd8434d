"""``multissl export RUN --format onnx|torchscript -o PATH``: the command-line face of :func:`multissl.export.export`.

Imports nothing heavy until the command runs (``multissl plugins`` stays fast)."""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser("export", help="export a saved run's encoder to ONNX or TorchScript (batch tensors -> embeddings)")
    p.add_argument("run", help="run directory")
    p.add_argument("--format", choices=["onnx", "torchscript"], default="onnx", help="default: onnx (needs multissl[onnx])")
    p.add_argument("-o", "--output", required=True, help="file to write; <name>.json beside it describes inputs and preprocessing")
    p.add_argument("--data", help="a few samples the run's modality reads, to trace on (default: the run's training data)")
    p.set_defaults(handler=run_command)


def run_command(args) -> int:
    from multissl import api
    from multissl.export import export

    path = export(api.load(args.run), args.output, args.format, data=args.data)
    print(f"Wrote {path} and {path.with_suffix('.json')}")
    return 0
