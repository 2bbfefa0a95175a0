"""Configuration: TOML → validated, immutable `Settings`, checked once at the edge.

Everything below receives typed settings, never raw dicts or environment variables.
Secrets are never in the file: keys ending in `_env` name environment variables.
"""

from monitor.config.loader import ConfigError, load_settings, parse_settings
from monitor.config.settings import Settings

__all__ = ["ConfigError", "Settings", "load_settings", "parse_settings"]
