"""Job arguments: Glue's getResolvedOptions on AWS, an argparse stand-in with the same names and rules locally."""

import argparse
import sys


def resolve_args(names: list[str], argv: list[str] | None = None) -> dict[str, str]:
    """Every named `--name value` argument (all required), as Glue's getResolvedOptions returns them."""
    argv = sys.argv if argv is None else argv
    try:
        from awsglue.utils import getResolvedOptions
    except ImportError:
        parser = argparse.ArgumentParser(description="cinelake Glue job (local stand-in for getResolvedOptions)")
        for name in names:
            parser.add_argument(f"--{name}", required=True)
        # Glue passes extra arguments of its own (--job-bookmark-option, ...); ignore unknown ones as it does.
        known, _ = parser.parse_known_args(argv[1:])
        return {name: getattr(known, name) for name in names}
    return getResolvedOptions(argv, names)
