"""Alert sections: channels and their routing. Extended by the alerts issue."""

from __future__ import annotations

from monitor.config._base import Section

__all__ = ["AlertsSettings"]


class AlertsSettings(Section):
    channels: tuple[dict[str, object], ...] = ()
