"""MLP Lab: `python main.py` opens the window; `python main.py --headless` trains in the terminal."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from engine.cli import given_options, parse_config

    args, config = parse_config(argv)
    if args.headless:
        from engine.headless import run

        return run(config, load=args.load, save=args.save, given=given_options(args))
    from gui.splash import show_splash  # Qt is imported only when a window is wanted

    splash = show_splash()  # before gui.app, whose modules import torch (seconds)
    from gui.app import run as run_window

    return run_window(args, argv, splash)


if __name__ == "__main__":
    sys.exit(main())
