"""Command line of the benchmarks: ``python -m gancourse.bench {toy2d,mnist,infogan,speed,notebooks} [options]``."""

from __future__ import annotations

import argparse
import sys

from gancourse.bench import write_json


def build_parser() -> argparse.ArgumentParser:
    from gancourse.bench import infogan, mnist, notebooks, speed, toy2d

    parser = argparse.ArgumentParser(prog="python -m gancourse.bench", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="{toy2d,mnist,infogan,speed,notebooks}")
    specs = [
        ("toy2d", toy2d, "mode coverage on the 2-D ring and grid", [0, 1, 2, 3, 4]),
        ("mnist", mnist, "DCGAN image quality within a time budget", [0]),
        ("infogan", infogan, "whether InfoGAN's categorical code becomes the digit", [0, 1, 2]),
        ("speed", speed, "trainer steps/s against a plain tutorial loop", [0]),
        ("notebooks", notebooks, "wall time of every notebook, FAST and default", [None]),
    ]
    for name, module, help_text, default_seeds in specs:
        p = sub.add_parser(name, help=help_text, description=(module.__doc__ or help_text).strip().split("\n")[0])
        p.add_argument("--json", metavar="PATH", help="also write the figures to this JSON file")
        shown = "the notebook's own SEED" if default_seeds == [None] else " ".join(map(str, default_seeds))
        group = p.add_mutually_exclusive_group()
        group.add_argument("--seed", type=int, help=f"a single seed (default: {shown})")
        group.add_argument("--seeds", type=int, nargs="+", help="several seeds, one run each")
        p.add_argument("--device", default=None, help="auto (cuda → mps → cpu; the default), cpu, cuda, …")
        p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True,
                       help="show progress bars (on stderr)")
        default_threads = getattr(module, "DEFAULT_THREADS", 0)
        p.add_argument("--threads", type=int, default=default_threads,
                       help=f"torch.set_num_threads for the run; 0 = torch's default (default: {default_threads})")
        module.add_arguments(p)
        p.set_defaults(_module=module, _default_seeds=default_seeds)
    return parser


def main(argv: list[str] | None = None) -> dict:
    args = build_parser().parse_args(argv)
    args.seeds = [args.seed] if args.seed is not None else (args.seeds or list(args._default_seeds))
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    payload = args._module.run(args)
    if args.json:
        path = write_json(args.json, payload)
        print(f"\nwrote {path}")
    return payload


if __name__ == "__main__":
    main(sys.argv[1:])
