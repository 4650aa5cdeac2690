"""`python -m server` runs stepstack."""

from server.cli import main

raise SystemExit(main())
