"""The ``sktl`` command: thin wrappers over the public API."""

from __future__ import annotations

import argparse
import sys

from . import _demo, _featurize, _pretrain, _reconstruct


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sktl", description="sktl command-line tools")
    sub = parser.add_subparsers(dest="command", required=True)
    _demo.add_parser(sub)
    _reconstruct.add_parser(sub)
    _pretrain.add_parser(sub)
    _featurize.add_parser(sub)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``sktl`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, RuntimeError, OSError) as exc:
        print(f"sktl {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
