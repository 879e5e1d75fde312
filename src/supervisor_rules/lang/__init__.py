"""The policy language: the syntax tree's nodes, the parser (grammar in ``grammars/policy.lark``),
the Chinese numerals of article numbers, and the checker that types a parsed policy."""
