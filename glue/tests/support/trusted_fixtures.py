"""Helpers for the Trusted jobs' tests: the job arguments from lake/jobs.ts, Raw CSV lines, lake layout."""

import functools
import json
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

MOVIE_FIELDS = {
    "id": "tt0000009",
    "tituloPincipal": "Miss Jerry",
    "tituloOriginal": "Miss Jerry",
    "anoLancamento": "1894",
    "tempoMinutos": "45",
    "genero": "Romance,Drama",
    "notaMedia": "5.3",
    "numeroVotos": "200",
    "generoArtista": "actress",
    "personagem": "Miss Geraldine",
    "nomeArtista": "Blanche Bayliss",
    "anoNascimento": "1878",
    "anoFalecimento": "1951",
    "profissao": "actress,writer",
    "titulosMaisConhecidos": "tt0000009,tt0021535",
}
MOVIES_HEADER = list(MOVIE_FIELDS)
SERIES_HEADER = MOVIES_HEADER[:4] + ["anoTermino"] + MOVIES_HEADER[4:]


@functools.lru_cache(maxsize=1)
def jobs_contract() -> dict:
    """JOBS from lake/jobs.ts (the one place job prefixes are defined), read through tsx."""
    script = "console.log(JSON.stringify(require('./lake/jobs').JOBS))"
    out = subprocess.run(
        ["npx", "tsx", "-e", script], cwd=REPO, check=True, capture_output=True, text=True, timeout=120
    ).stdout
    return json.loads(out)


def job_argv(name: str, lake_root: str, date: str = "latest") -> list[str]:
    """The argv the local runner (and Glue) gives a job: --lake_root, --date and the job's prefixes."""
    argv = ["job.py", "--lake_root", lake_root, "--date", date]
    for key, value in jobs_contract()[name]["prefixes"].items():
        argv += [f"--{key}", value]
    return argv


def job_args(name: str, lake_root: str, date: str = "latest") -> dict[str, str]:
    """The same arguments as a dict, as getResolvedOptions returns them."""
    argv = job_argv(name, lake_root, date)[1:]
    return {argv[i][2:]: argv[i + 1] for i in range(0, len(argv), 2)}


def prefix(name: str, key: str) -> str:
    """One prefix argument of a job (relative to the lake root)."""
    return jobs_contract()[name]["prefixes"][key]


def csv_line(series: bool = False, **fields: str) -> str:
    """One Raw CSV data line: a valid row with the given Portuguese-named fields replaced."""
    values = {**MOVIE_FIELDS, "anoTermino": "1899", **fields}
    return "|".join(values[h] for h in (SERIES_HEADER if series else MOVIES_HEADER))


def raw_day_dir(lake_dir: Path, raw_prefix: str, day: str) -> Path:
    """The local folder of one day of a Raw dataset (`<prefix>YYYY/MM/DD/`), created."""
    year, month, dom = day.split("-")
    folder = lake_dir / raw_prefix / year / month / dom
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_csv(path: Path, header: list[str], lines: list[str | bytes]) -> None:
    """A Raw CSV as the real files are: UTF-8 with BOM, CRLF endings; in a text line \\ufffd stands for an invalid
    byte (0xff), a bytes line is written as it is."""
    encoded = [
        line if isinstance(line, bytes) else line.encode("utf-8").replace("\ufffd".encode(), b"\xff") for line in lines
    ]
    path.write_bytes(b"\r\n".join([("\ufeff" + "|".join(header)).encode("utf-8"), *encoded]) + b"\r\n")


def write_raw_csvs(lake_dir: Path, day: str, movies: list, series: list, movies_header: list[str] | None = None):
    """Both Raw CSVs of one day under a local lake folder, laid out like the bucket."""
    write_csv(
        raw_day_dir(lake_dir, prefix("trusted-csv", "raw_movies"), day) / "movies.csv",
        movies_header or MOVIES_HEADER,
        movies,
    )
    write_csv(raw_day_dir(lake_dir, prefix("trusted-csv", "raw_series"), day) / "series.csv", SERIES_HEADER, series)
