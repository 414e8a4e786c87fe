"""MLP Lab: `python main.py` opens the window; `python main.py --headless` trains in the terminal."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from engine.cli import parse_config

    args, config = parse_config(argv)
    if args.headless:
        from engine.headless import run

        return run(config, load=args.load, save=args.save)
    from gui.app import run as run_window  # Qt is imported only when a window is wanted

    return run_window(args, argv)


if __name__ == "__main__":
    sys.exit(main())
