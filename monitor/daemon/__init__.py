"""`senderwatch run`: the scheduler, its jobs, the HTTP API (see docs/daemon.md)."""
