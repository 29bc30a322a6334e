"""`python -m nextbatch` does what the `nextbatch` command does."""

from nextbatch.cli import main

raise SystemExit(main())
