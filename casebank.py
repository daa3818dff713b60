"""The `casebank` command: the one module that wires corpus, ingest, search and web together.

Domain errors raised anywhere inside become a one-line message and exit code 1 here, in
`main()`, and nowhere else.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from corpus.errors import CasebankError
from corpus.settings import Settings
from corpus.store import Store

app = typer.Typer(
    help="Knowledge base and search of social-impact-bond cases.", no_args_is_help=True
)
ingest_app = typer.Typer(help="Collect cases from sources into the store.")
app.add_typer(ingest_app, name="ingest")

console = Console(stderr=True)
_state: dict[str, Settings] = {}


def settings() -> Settings:
    """The settings of this invocation (environment, then --data-dir)."""
    return _state.setdefault("settings", Settings.from_env())


def open_store() -> Store:
    """The store in the configured data folder."""
    return Store(settings().db_path)


@app.callback()
def _root(
    data_dir: Path = typer.Option(
        None, "--data-dir", envvar="CASEBANK_DATA_DIR", help="Folder of the store and indexes."
    ),
) -> None:
    _state["settings"] = Settings.from_env(data_dir=data_dir)


def print_json(data: object) -> None:
    """Print a JSON document to stdout (UTF-8, not ASCII-escaped)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


# -- stats ------------------------------------------------------------------------------


@app.command()
def stats(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """How many cases the store holds, by country, source and sector."""
    data = open_store().stats()
    if as_json:
        print_json(data)
        return
    out = Console()
    out.print(f"[bold]{data['cases']}[/bold] cases")
    for key, title in (("by_country", "Country"), ("by_source", "Source"), ("by_sector", "Sector")):
        table = Table(title=title)
        table.add_column(title)
        table.add_column("Cases", justify="right")
        for name, n in data[key].items():
            table.add_row(str(name), str(n))
        out.print(table)


def main() -> None:
    """Entry point: run the app, turning domain errors into a clear message and exit 1."""
    try:
        app()
    except CasebankError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
