"""The command line: one module per command group; ``main`` builds the parser and
imports a command's module only when that command runs.

May import: everything but ui.
"""
