"""`python -m bot` is the same as the `zyn` console script."""

from bot.cli.entry import main

raise SystemExit(main())
