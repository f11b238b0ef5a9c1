"""`python -m citeqa …`: the same entry as the `citeqa` command."""

from .client import main

main()
