"""The kit shared by every domain: declarations, composition, hosting, errors, the CLI."""

import sys

# httpx imports its command-line client (httpx._main) whenever click, rich and pygments are
# installed (as dev tools bring them): ~0.4 s of every function's cold start for a CLI we never
# run. A None entry makes that optional import fail fast, as if they were absent.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
