"""Job arguments, strict: a job takes exactly its arguments of the exported registry (lake/jobs.ts), all required,
next to the ones AWS Glue passes itself; any other `--name` fails the run instead of being silently ignored.

Values come from Glue's getResolvedOptions on AWS and from a stand-in with the same names and rules locally.
"""

import sys

from .errors import InvalidArgumentError
from .registry import glue_arguments, job

FIX = "lake/jobs.ts is the one list of job arguments: pass exactly those (run `npm run registry:export` after a change)"


def _options(tokens: list[str]) -> list[tuple[str, str | None]]:
    """The `--name value`, `--name=value` and key-only `--name` options of an argv tail, in order."""
    options: list[tuple[str, str | None]] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if not token.startswith("--"):
            continue  # A value of the option before it (or a stray word, which Glue ignores as well).
        name, equals, value = token[2:].partition("=")
        if equals:
            options.append((name, value))
        elif index < len(tokens) and not tokens[index].startswith("--"):
            options.append((name, tokens[index]))
            index += 1
        else:
            options.append((name, None))
    return options


def check_args(job_name: str, argv: list[str]) -> dict[str, str]:
    """The job's own arguments from argv (the script name first), refusing a missing, empty-named or unknown one.

    Accepted besides the job's own (registry `jobs[].arguments`): Glue's own (registry `glueArguments`). The last value
    of a repeated argument wins, as with argparse and getResolvedOptions.
    """
    names = job(job_name)["arguments"]
    own = set(names)
    glue = set(glue_arguments())
    values: dict[str, str] = {}
    for name, value in _options(argv[1:]):
        if name in own:
            if value is None:
                raise InvalidArgumentError(f"--{name} has no value", f"pass --{name} <value>; {FIX}")
            values[name] = value
        elif name not in glue:
            raise InvalidArgumentError(
                f"unknown argument --{name}: not an argument of the {job_name} job ({', '.join(names)}) "
                "nor one AWS Glue passes",
                f"remove it, or add it to the job in {FIX}",
            )
    missing = [name for name in names if name not in values]
    if missing:
        raise InvalidArgumentError(
            f"missing argument(s) {' '.join('--' + name for name in missing)} of the {job_name} job",
            f"pass every one of {', '.join('--' + name for name in names)}; {FIX}",
        )
    return values


def resolve_args(job_name: str, argv: list[str] | None = None) -> dict[str, str]:
    """The job's arguments (checked by `check_args`), as Glue's getResolvedOptions returns them on AWS."""
    argv = sys.argv if argv is None else argv
    values = check_args(job_name, argv)
    try:
        from awsglue.utils import getResolvedOptions
    except ImportError:
        return values
    return getResolvedOptions(argv, job(job_name)["arguments"])
