"""The ``kilowatch`` command line: global options, then one module per command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kilowatch.commands import register_commands

app = typer.Typer(
    name="kilowatch",
    help="Find energy wasted in the public spaces of property portfolios and turn it into carbon numbers.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="TOML config file (else $KILOWATCH_CONFIG).", exists=True, dir_okay=False),
]
DataDirOpt = Annotated[Path | None, typer.Option("--data-dir", help="Where embedded data lives (default: ./data).")]
LogLevelOpt = Annotated[str | None, typer.Option("--log-level", help="DEBUG, INFO, WARNING or ERROR.")]


@app.callback()
def _main(ctx: typer.Context, config: ConfigOpt = None, data_dir: DataDirOpt = None, log_level: LogLevelOpt = None) -> None:
    """Global options apply to every command; flags win over environment and config file."""
    overrides: dict = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if log_level is not None:
        overrides["log_level"] = log_level
    ctx.obj = {"config": config, "overrides": overrides}


register_commands(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
