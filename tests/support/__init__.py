"""Real servers the test suite starts on loopback (DNS, mail, HTTP receivers)."""
