"""Reading the settings for a command, with the bad variable named on failure."""

from __future__ import annotations

import sys

from service.config import Settings, SettingsError

EXIT_CONFIG = 2


class ConfigurationFailed(SystemExit):
    pass


def load_settings() -> Settings:
    """The settings from the environment; exits with status 2 naming the bad variable."""
    try:
        return Settings.from_env()
    except SettingsError as exc:
        print(f"haven: configuration error: {exc}", file=sys.stderr)
        raise ConfigurationFailed(EXIT_CONFIG) from exc
