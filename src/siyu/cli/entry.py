"""The console entry point (`siyu` in pyproject, `python -m siyu`): the command tree, wrapped so that whatever
escapes a command ends in one line and its exit status (docs/cli.md), with the traceback only under --debug or
SIYU_DEBUG=1.

Exit statuses: 0 ok, 1 partial run or rows quarantined, 2 usage or user error, 3 internal error, 4 the warehouse
is busy with another writer, 130 interrupted.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--debug"]:  # handled here, not as a typer option: parsing one costs every command 0.08 s
        os.environ["SIYU_DEBUG"] = "1"
        args = args[1:]
    from siyu.cli.quick import answer

    status = answer(args)  # `version` and `segment count` without typer and rich (siyu.cli.quick)
    if status is not None:
        sys.exit(status)
    from siyu.cli.outcome import EXIT_INTERNAL, EXIT_INTERRUPTED, debugging, say_error
    from siyu.errors import SiyuError

    try:
        from siyu.cli.main import app

        # standalone: usage errors print click's message and exit 2; every command is wrapped in `friendly`,
        # so what reaches here escaped one (an import, a callback)
        app(args=args, prog_name="siyu", standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        if debugging():
            raise
        say_error("interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except SiyuError as exc:
        if debugging():
            raise
        say_error(str(exc))
        sys.exit(exc.exit_code)
    except Exception as exc:
        if debugging():
            raise
        say_error(f"internal error ({type(exc).__name__}: {exc}); rerun with --debug for the traceback")
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()
