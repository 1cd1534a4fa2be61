from reltui.cli import main

raise SystemExit(main())
