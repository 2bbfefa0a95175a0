"""`python -m monitor` runs the senderwatch command line."""

from monitor.cli import main

main()
