from reltui.cli import entry

entry()
