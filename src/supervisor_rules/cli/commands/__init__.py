"""Further ``supervisor-rules`` commands, one module each.

``cli.build_parser`` imports every module here and calls its
``register(commands, options)``: ``commands`` is the argparse sub-parser
collection, ``options`` a ``cli.Options`` with the shared option helpers
(``output(p, formats)``, ``as_of(p)``, ``prove(p, help, per=…)``). A handler returns the exit status and
must never let an exception escape for bad input (cli.main turns
``RulesError`` into exit 2 as a last resort).
"""
