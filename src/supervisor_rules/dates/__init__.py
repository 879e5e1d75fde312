"""Calendar arithmetic the rules rely on: terms in years and months (``periods``), PRC
working days (``workdays``), ages in 周岁 (``ages``), and deadlines under Civil Code art. 203,
look-back windows and minimum periods (``deadlines``). Conventions and sources: docs/dates.md."""
