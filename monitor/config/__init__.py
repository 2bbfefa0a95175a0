"""Configuration: TOML → validated, immutable `Settings`, checked once at the edge.

Everything below receives typed settings, never raw dicts or environment variables.
Secrets are never in the file: keys ending in `_env` name environment variables.
Importing this package is cheap (no DNS, database or HTTP stack): `config validate` is quick.
"""

from monitor.config.loader import ConfigError, ConfigFileMissing, load_settings, parse_settings
from monitor.config.settings import Settings

__all__ = ["ConfigError", "ConfigFileMissing", "Settings", "load_settings", "parse_settings"]
