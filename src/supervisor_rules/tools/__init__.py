"""Tools on the public API: formatter, invariants, policy tests, diff, batch, diagnostics
reports and the Pygments lexer."""
