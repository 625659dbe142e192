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

# OpenTofu for the Terraform checks (docs/adr/0018-terraform.md): built once from the Go module
# proxy (tools/tofu pins the version) into build/tofu/, rebuilt only when tools/tofu/go.mod
# changes. Exports ECO2_TOFU for tests/unit/test_terraform.py; an ECO2_TOFU already set to a
# binary is used as is. The first build takes minutes (about 6.5 CPU-minutes).
ensure_tofu() {
  if [ -n "${ECO2_TOFU:-}" ] && [ -x "$ECO2_TOFU" ]; then return; fi  # one given (CI cache)
  local dir="$ROOT/build/tofu" stamp
  stamp="$(sha256sum "$ROOT/tools/tofu/go.mod" | cut -c1-16)"
  if [ ! -x "$dir/tofu" ] || [ "$(cat "$dir/stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "==> building OpenTofu (tools/tofu, Go module proxy)"
    mkdir -p "$dir"
    go -C "$ROOT/tools/tofu" build -ldflags "-X github.com/opentofu/opentofu/version.dev=no" \
      -o "$dir/tofu" github.com/opentofu/opentofu/cmd/tofu
    echo "$stamp" >"$dir/stamp"
  fi
  export ECO2_TOFU="$dir/tofu"
}

# checkov lives in its own locked venv: it pins boto3 far below the project's pin.
ensure_checkov() {
  (cd "$ROOT/tools/checkov" && uv sync --frozen --quiet)
}
