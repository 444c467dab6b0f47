from migrator.sandbox.cli import main

raise SystemExit(main())
