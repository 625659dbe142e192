# Shared by scripts/run and scripts/test: make sure uv and the project's virtualenv exist.
# Sourced, not executed.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export UV_PYTHON_DOWNLOADS=never   # use the machine's Python 3.11; never fetch a toolchain
export PATH="$HOME/.local/bin:$PATH"

ensure_python_env() {
  if ! command -v uv >/dev/null 2>&1; then
    echo "==> installing uv (from PyPI)"
    python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv
  fi
  echo "==> syncing the virtualenv (uv sync --frozen)"
  (cd "$ROOT" && uv sync --frozen --quiet)
}

ensure_go() {
  if ! command -v go >/dev/null 2>&1; then
    if [ -x /usr/local/go/bin/go ]; then
      export PATH="/usr/local/go/bin:$PATH"
    else
      echo "==> installing Go (Debian golang-go)"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go
    fi
  fi
}
