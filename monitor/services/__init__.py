"""The one API every entry point calls: the CLI, the HTTP API and the scheduler.

    services.checks     plan and run checks, raise their alerts
    services.canary     send an environment's canary
    services.baselines  show and approve baselines
    services.alerts     list, silence, acknowledge, test channels, deliver

Each function takes the process's `monitor.app.App` first and returns plain objects that
`monitor.render` turns into text, JSON or JUnit. Problems a person must fix are raised as
`monitor.errors.UserFacingError` (or `ConfigError`); nothing here prints or exits.
"""
