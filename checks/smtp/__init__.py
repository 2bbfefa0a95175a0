"""The relay probe (`smtp` check) and the step-diagnosing SMTP session it shares with senders."""

from checks.smtp.check import SmtpCheck, SmtpCheckConfig
from checks.smtp.session import SmtpEndpoint, SmtpSession, SmtpStepError

__all__ = ["SmtpCheck", "SmtpCheckConfig", "SmtpEndpoint", "SmtpSession", "SmtpStepError"]
