"""Calendar arithmetic the rules rely on: terms in years and months (``periods``) and PRC
working days (``workdays``)."""
