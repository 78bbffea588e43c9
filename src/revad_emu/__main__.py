from revad_emu.cli import main

raise SystemExit(main())
