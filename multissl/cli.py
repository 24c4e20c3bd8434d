"""The ``multissl`` command line. ``plugins``, ``methods``, ``datasets`` and ``recipes`` never import torch."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from multissl.errors import MultisslError, TrainingInterrupted


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    args.argv = argv
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        return args.handler(args) or 0
    except TrainingInterrupted as exc:  # 128 + signal, as a shell reports a process the signal ended
        print(f"multissl: {exc}", file=sys.stderr)
        return 128 + exc.signal_number
    except MultisslError as exc:
        print(f"multissl: error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="multissl", description="Self-supervised pretraining for data that is not images.")
    sub = parser.add_subparsers(metavar="COMMAND")

    p = sub.add_parser("plugins", help="installed plugins: versions, what each registers, load errors")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(handler=_plugins)

    p = sub.add_parser("methods", help="registered methods, optionally for one modality")
    p.add_argument("--modality", help="only methods for this modality")
    p.add_argument("--options", action="store_true", help="also list each method's options, defaults and docs")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_methods)

    p = sub.add_parser("datasets", help="registered dataset names, their modality and where they are read from")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_datasets)

    p = sub.add_parser("recipes", help="recipes shipped by the core and the plugins")
    p.add_argument("--json", action="store_true", help="print a JSON list: name, modality, method, plugin, path")
    p.set_defaults(handler=_recipes)

    p = sub.add_parser("pretrain", help="pretrain from a recipe (a YAML path or a shipped recipe name)")
    p.add_argument("recipe")
    p.add_argument("--set", nargs="+", action="extend", default=[], metavar="KEY=VALUE", help="override recipe keys, e.g. trainer.max_epochs=5 "
                   "(method.encoder_options.hidden_dims=[64] edits one key of the resolved encoder_options)")
    p.add_argument("--verbose", action="store_true", help="also print Lightning's start-up lines and the model summary")
    p.add_argument("--print-config", action="store_true", help="print the resolved recipe (every default filled in) and exit")
    p.set_defaults(handler=_pretrain)

    p = sub.add_parser("bench", help="run recipes over seeds; write each metric's mean ± std next to its baseline's")
    p.add_argument("recipes", nargs="+", metavar="RECIPE", help="shipped recipe names or YAML paths (each needs `evaluate:`)")
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2], help="default: 0 1 2")
    p.add_argument("--set", nargs="+", action="extend", default=[], metavar="KEY=VALUE", help="overrides applied to every recipe")
    p.add_argument("-o", "--output", help="Markdown table to write (a .csv of the raw values is written beside it)")
    p.add_argument("--keep", metavar="DIR", help="keep each run directory under DIR/<recipe>/seed<N> (default: none kept)")
    p.add_argument("--methods", nargs="+", metavar="METHOD", help="with --matrix: run each recipe under each method "
                   "(its method block replaced; the modality's defaults for that method apply)")
    p.add_argument("--matrix", action="store_true", help="write one table: rows methods, columns recipes, and RankMe's "
                   "rank correlation with each recipe's metric")
    p.add_argument("--metric", nargs="+", action="extend", default=[], metavar="RECIPE=METRIC",
                   help="with --matrix: the metric a recipe's column shows (default: its report's first metric with a baseline)")
    p.add_argument("--cell-set", nargs="+", action="extend", default=[], metavar="RECIPE/METHOD:KEY=VALUE",
                   help="with --matrix: an override for one cell only (stated under the table)")
    p.add_argument("--reuse", metavar="CSV", help="with --matrix: take the runs this matrix CSV holds for the same recipe, "
                   "method, seed and configuration instead of running them (resumes a stopped bench)")
    p.add_argument("--reuse-only", action="store_true", help="with --reuse: run nothing; the table shows the reused runs")
    p.set_defaults(handler=_bench)

    p = sub.add_parser("report", help="an HTML page of a saved run: training curves, evaluation, embedding map")
    p.add_argument("run", help="run directory")
    p.add_argument("-o", "--output", help="HTML file to write (default: <run name>_report.html here); PNGs beside it")
    p.add_argument("--data", help="data to map (default: the run's evaluation data, else its training data)")
    p.add_argument("--seed", type=int, default=0, help="seed of the point sample and of the 2-D projections")
    p.set_defaults(handler=_report)

    p = sub.add_parser("embed", help="embed data with a saved run")
    p.add_argument("run", help="run directory")
    p.add_argument("data", nargs="*", help="data the run's modality reads (one source, or several files)")
    p.add_argument("--what", help="instead of data, a table the modality embeds by id (interactions: users or items)")
    p.add_argument("-o", "--output", required=True, help="output file: .npy, .csv or .parquet")
    p.add_argument("--batch-size", type=int, default=1024)
    p.set_defaults(handler=_embed)

    p = sub.add_parser("recommend", help="top-k items per user of a saved recommendation run, seen items excluded")
    p.add_argument("run", help="run directory")
    p.add_argument("--users", nargs="+", required=True, help="user ids as in the training data")
    p.add_argument("-k", type=int, default=20, help="items per user (default: 20)")
    p.add_argument("-o", "--output", help=".csv or .parquet file to write (default: print the table)")
    p.set_defaults(handler=_recommend)

    p = sub.add_parser("evaluate", help="evaluate a saved run with its field's evaluators, each next to its baseline")
    p.add_argument("run", help="run directory")
    p.add_argument("--data", help="data to evaluate on: a path or a dataset name (default: the run's own evaluation data)")
    p.add_argument("--labels", help="label column name, or a .npy/.csv file with one label per sample (probe evaluator)")
    p.add_argument("--seed", type=int, default=None, help="default: the run's own evaluation seed")
    p.add_argument(
        "--evaluators",
        help="comma-separated evaluator names (default: the run's own, else its modality's; see `multissl plugins`)",
    )
    p.add_argument("--set", nargs="+", action="extend", default=[], metavar="KEY=VALUE", help="evaluator options, e.g. test_fraction=0.3 k=20")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_evaluate)

    from multissl.finetuning import command as finetune_command

    finetune_command.add_parser(sub)
    from multissl import export_command

    export_command.add_parser(sub)
    return parser


def _plugins(args) -> int:
    from multissl.plugins import plugin_reports

    reports = [r.as_dict() for r in plugin_reports()]
    if args.json:
        print(json.dumps(reports, indent=2))
        return 0
    for report in reports:
        status = "disabled" if report["disabled"] else ("ERROR" if report["error"] else "ok")
        print(f"{report['name']} {report['version'] or '?'} [{status}] ({report['module']})")
        if report["error"]:
            print(f"    {report['error']}")
        for kind, names in report["components"].items():
            print(f"    {kind}: {', '.join(names)}")
    return 0


def _methods(args) -> int:
    from multissl.plugins import registry

    reg = registry()
    if args.modality:
        reg.entry("modality", args.modality)  # an unknown name raises with close matches
    entries = reg.methods_for(args.modality) if args.modality else reg.entries("method")
    defaults = {c.name: c.details.get("default_method") for c in reg.entries("modality")}
    rows = [
        {
            "name": c.name,
            "modalities": list(c.modalities),
            "default_for": [m for m in c.modalities if defaults.get(m) == c.name],
            "plugin": c.plugin,
            "summary": c.summary,
        }
        for c in entries
    ]
    if args.options:
        from multissl.method_options import method_options

        for row, component in zip(rows, entries):
            row["options"] = method_options(component.load(), reg, args.modality)
    if args.json:
        print(json.dumps(rows, indent=2, default=repr))
    else:
        for row in rows:
            mark = "*" if (row["default_for"] if not args.modality else args.modality in row["default_for"]) else " "
            print(f"{mark} {row['name']:<16} {','.join(row['modalities']):<20} {row['plugin']:<10} {row['summary']}")
            for option in row.get("options", []):
                print(f"      {option['name']:<24} = {option['default']!r:<24} {option['doc']}")
        print("* the default method of its modality (used when a recipe names none)")
    return 0


def _datasets(args) -> int:
    from multissl.datasets import DATA_ROOT_ENV
    from multissl.plugins import registry

    rows = [
        {"name": c.name, "modality": c.modalities[0], "path": c.details.get("path"), "plugin": c.plugin, "summary": c.summary}
        for c in registry().entries("dataset")
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        where = f"<data root>/{row['path']}" if row["path"] else "bundled"
        print(f"{row['name']:<20} {row['modality']:<20} {where:<40} {row['summary']}")
    print(f"The data root is the recipe's data.root, else ${DATA_ROOT_ENV}.")
    return 0


def _recipes(args) -> int:
    import yaml

    from multissl.plugins import host, registry

    rows = []
    for hook in host().manager.hook.multissl_recipe_dirs.get_hookimpls():
        paths = sorted(p for directory in hook.function() for p in Path(directory).glob("*.yaml"))
        for path in paths:
            recipe = yaml.safe_load(path.read_text()) or {}
            method = recipe.get("method")
            method = method.get("name") if isinstance(method, dict) else method
            modality = recipe.get("modality")
            if method is None and modality in registry().names("modality"):
                method = registry().default_method(modality)
            rows.append({
                "name": path.stem,
                "modality": modality,
                "method": method,
                "plugin": hook.plugin_name,
                "path": str(path),
            })
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        print(f"{row['name']:<32} {row['modality'] or '?':<20} {row['method'] or '?':<16} {row['path']}")
    return 0


def _pretrain(args) -> int:
    from multissl import api, distributed
    from multissl.recipe import apply_overrides, read_recipe

    if args.verbose:
        from multissl.engine import startup_messages

        startup_messages.show()
    raw = apply_overrides(read_recipe(api.resolve_recipe_path(args.recipe)), args.set)
    if args.print_config:
        import yaml

        from multissl.plugins import registry
        from multissl.recipe import resolve

        print(yaml.safe_dump(resolve(raw, registry()).to_dict(), sort_keys=False), end="")
        return 0
    if raw.get("output_dir") is None:
        base = Path("runs") / Path(args.recipe).stem
        raw["output_dir"] = str(base if raw.get("resume") else _fresh_run_dir(base))
    run = api.run_recipe(raw)
    if not distributed.is_main_process():
        return 0  # under torchrun / srun the first process saves the run and reports it
    train = run.metrics["train"]
    print(f"\nTrained {run.recipe.method} on {run.recipe.modality}: {train['epochs']} epochs, {train['steps']} steps, "
          f"{train['fit_seconds']:.1f} s. Run saved to {run.path}")
    if "evaluation" in run.metrics:
        from multissl.eval.probe_report import format_report

        print(format_report(run.metrics["evaluation"]))
    return 0


def _fresh_run_dir(base: Path) -> Path:
    """``base``, or ``base-2``, ``base-3``, ... when it already holds something: a rerun of the same command never
    collides with (or touches) an earlier run."""
    candidate, number = base, 1
    while candidate.exists() and any(candidate.iterdir()):
        number += 1
        candidate = base.with_name(f"{base.name}-{number}")
    return candidate


def _bench(args) -> int:
    import shlex

    from multissl.bench import markdown_table, run_bench, write_results

    if args.output is not None and Path(args.output).suffix != ".md":
        raise MultisslError(f"--output {args.output} must end in .md (a .csv of the raw values is written beside it).")
    if args.matrix or args.methods:
        return _bench_matrix(args)
    if args.reuse or args.cell_set or args.reuse_only:
        raise MultisslError("--reuse, --reuse-only and --cell-set go with --methods ... --matrix.")
    runs = run_bench(args.recipes, args.seeds, args.set, keep=args.keep, progress=lambda line: print(line, flush=True))
    command = "multissl " + shlex.join(args.argv)
    print("\n" + markdown_table(runs, command))
    if args.output is not None:
        markdown, table = write_results(runs, command, args.output)
        print(f"Wrote {markdown} and {table}")
        try:
            from multissl.report.bench_chart import write_bench_chart

            print(f"Wrote {write_bench_chart(table)}")
        except MultisslError as exc:  # the table is the result; the picture is optional
            print(f"No chart: {exc}")
    return 0


def _bench_matrix(args) -> int:
    import shlex

    from multissl.bench_matrix import matrix_markdown, parse_cell_overrides, run_matrix, write_matrix

    if not (args.matrix and args.methods):
        raise MultisslError("--methods and --matrix go together: --methods simclr vicreg ... --matrix.")
    if args.keep is not None:
        raise MultisslError("--keep is not available with --matrix; bench one recipe at a time to keep its runs.")
    if args.reuse_only and args.reuse is None:
        raise MultisslError("--reuse-only needs --reuse CSV: the runs to show.")
    chosen = {}
    for assignment in args.metric:
        recipe, sep, metric = assignment.partition("=")
        if not sep or not recipe or not metric:
            raise MultisslError(f"--metric {assignment!r} must look like RECIPE=METRIC, e.g. digits_generic=linear_probe/accuracy.")
        chosen[Path(recipe).stem] = metric
    command = "multissl " + shlex.join(args.argv)
    partial = None if args.output is None else lambda columns, cells: write_matrix(columns, cells, command, args.output, chosen)
    columns, cells = run_matrix(args.recipes, args.methods, args.seeds, args.set, progress=lambda line: print(line, flush=True),
                                on_cell=partial, cell_overrides=parse_cell_overrides(args.cell_set), reuse=args.reuse,
                                run_missing=not args.reuse_only)
    print("\n" + matrix_markdown(columns, cells, command, chosen))
    if args.output is not None:
        markdown, table = write_matrix(columns, cells, command, args.output, chosen)
        print(f"Wrote {markdown} and {table}")
    return 0


def _report(args) -> int:
    from multissl import api
    from multissl.report.run_report import write_run_report

    run = api.load(args.run)
    output = Path(args.output) if args.output else Path(f"{Path(args.run).resolve().name}_report.html")
    write_run_report(run, output, data=args.data, seed=args.seed)
    print(f"Wrote {output} (PNGs beside it)")
    return 0


def _embed(args) -> int:
    import numpy as np

    from multissl import api

    output = Path(args.output)
    if output.suffix not in (".npy", ".csv", ".parquet"):  # checked before any data is read
        raise MultisslError(f"Output {output} must end in .npy, .csv or .parquet; nothing was embedded.")
    run = api.load(args.run)
    if args.what is not None or not args.data:
        frame = _embedding_table(run, args.what, has_data=bool(args.data))
    else:
        source: Any = args.data[0] if len(args.data) == 1 else args.data
        frame = run.embed(source, batch_size=args.batch_size, as_frame=True)
    count, dim = frame.shape
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.suffix == ".npy":  # embeddings only; the ids need .csv or .parquet
        np.save(output, frame.to_numpy())
    elif output.suffix in (".csv", ".parquet"):
        frame = frame.reset_index()  # the ids become the first column, "id"
        frame.to_csv(output, index=False) if output.suffix == ".csv" else frame.to_parquet(output, index=False)
    else:
        raise MultisslError(f"Output {output} must end in .npy, .csv or .parquet.")
    print(f"Wrote {count} x {dim} embeddings to {output}")
    return 0


def _embedding_table(run, what: str | None, has_data: bool) -> Any:
    """The table ``--what`` names, indexed by id: what a modality with ``embedding_table`` (interactions) embeds."""
    table = getattr(run.modality, "embedding_table", None)
    if what is None:
        raise MultisslError("Pass the data to embed, or --what TABLE where the modality embeds tables (interactions: --what items).")
    if has_data:
        raise MultisslError(f"Pass either data or --what {what}, not both.")
    if table is None:
        raise MultisslError(f"The {run.recipe.modality} modality embeds data, not tables: drop --what and pass the data.")
    return table(run.method, what)


def _recommend(args) -> int:
    from multissl import api

    if args.output is not None and Path(args.output).suffix not in (".csv", ".parquet"):
        raise MultisslError(f"--output {args.output} must end in .csv or .parquet.")
    run = api.load(args.run)
    recommend = getattr(run.modality, "recommend", None)
    if recommend is None:
        raise MultisslError(f"The {run.recipe.modality} modality does not recommend items; use a run on interactions.")
    table = recommend(run.method, args.users, args.k)
    if args.output is None:
        print(table.to_string(index=False))
        return 0
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(output, index=False) if output.suffix == ".csv" else table.to_parquet(output, index=False)
    print(f"Wrote {len(table)} recommendations for {len(args.users)} users to {output}")
    return 0


def _evaluate(args) -> int:
    import numpy as np

    from multissl import api
    from multissl.eval.probe_report import format_report

    from multissl.recipe import parse_assignment

    run = api.load(args.run)
    labels: Any = args.labels
    if labels is not None and Path(labels).suffix in (".npy", ".csv") and Path(labels).is_file():
        labels = np.load(labels, allow_pickle=False) if labels.endswith(".npy") else np.loadtxt(labels, delimiter=",", dtype=str)
    evaluators = None if args.evaluators is None else [n.strip() for n in args.evaluators.split(",") if n.strip()]
    options = dict(parse_assignment(assignment) for assignment in args.set)
    report = api.evaluate(run, data=args.data, labels=labels, seed=args.seed, evaluators=evaluators, **options)
    print(json.dumps(report, indent=2, default=float) if args.json else format_report(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
