#!/usr/bin/env bash
# Authz benchmarks, one command, loopback only, bounded in time, cleans up after itself:
#
#   bash tests/load/authz/run.sh [--quick]
#
# (a) Envoy ext_authz Check over gRPC with ghz at 2,500 concurrent streams, a pre-generated token
#     mix (80 % valid, 10 % expired, 10 % revoked) -> checks/s, p50/p99/p99.9, ratios against the
#     target (>= 15,000 checks/s, p99 < 10 ms) and, when it can be built here, against the
#     OPA-Envoy plugin running an equivalent ES256 JWT + denylist policy in the same run.
# (b) Revocation propagation: 3 authz replicas on the Redis source; N revocations written as the
#     logout writes them (ZADD + PUBLISH); time until every replica denies -> p50/p99 (< 1 s).
#
# Needs Redis at $ECO2_TEST_REDIS_URL (default redis://127.0.0.1:6379/0): `scripts/services up`.
# Knobs (env): DURATION (30s; --quick 8s), CONCURRENCY (2500), CONNECTIONS (10), TOKENS (2000),
# REVOCATIONS (1000; --quick 200), SKIP_OPA=1, OPA_ENVOY_VERSION (latest), NOCACHE_RUN=1 (also run
# the authz with its verified-token cache off: every check pays a full ECDSA verification).
set -euo pipefail

QUICK=0
[[ "${1:-}" == "--quick" ]] && QUICK=1
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
BIN="$ROOT/authz/bin"
export PATH="/usr/local/go/bin:$PATH"
GHZ_VERSION=v0.121.0
REDIS_URL="${ECO2_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}"
if [[ $QUICK == 1 ]]; then
  DURATION="${DURATION:-8s}"; REVOCATIONS="${REVOCATIONS:-200}"
else
  DURATION="${DURATION:-30s}"; REVOCATIONS="${REVOCATIONS:-1000}"
fi
CONCURRENCY="${CONCURRENCY:-2500}"
CONNECTIONS="${CONNECTIONS:-10}"
TOKENS="${TOKENS:-2000}"
PREFIX="authzbench:$$:$(date +%s):"
WORK="$(mktemp -d /tmp/authz-bench.XXXXXX)"
PIDS=()

log() { printf '\n==> %s\n' "$*"; }
cleanup() {
  set +e
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  [[ -x "$BIN/authzbench" ]] && "$BIN/authzbench" unseed -redis "$REDIS_URL" -prefix "$PREFIX" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
start() { # start NAME CMD... : run in the background, log to $WORK/NAME.log
  local name=$1; shift
  "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
}

log "machine"
echo "host:   $(hostname)"
echo "cpus:   $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
echo "load:   $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min; other work on the machine skews every figure below)"
echo "go:     $(go version | cut -d' ' -f3-)"
echo "run:    $([[ $QUICK == 1 ]] && echo quick || echo full), ghz -c $CONCURRENCY --connections $CONNECTIONS -z $DURATION, $TOKENS distinct tokens, $REVOCATIONS revocations"

log "build"
mkdir -p "$BIN"
t0=$SECONDS
(cd "$ROOT/authz" && go build -o "$BIN/authz" ./cmd/authz)
(cd "$HERE/authzbench" && go build -o "$BIN/authzbench" .)
if ! "$BIN/ghz" --version 2>/dev/null | grep -q "${GHZ_VERSION#v}\|dev"; then
  echo "installing ghz $GHZ_VERSION from the Go module proxy"
  GOBIN="$BIN" go install "github.com/bojand/ghz/cmd/ghz@$GHZ_VERSION"
fi
echo "authz, authzbench and ghz $GHZ_VERSION ready in $((SECONDS - t0)) s"

log "inputs"
"$BIN/authzbench" gen -out "$WORK" -tokens "$TOKENS"
"$BIN/authzbench" seed -redis "$REDIS_URL" -prefix "$PREFIX" -file "$WORK/revoked.json"
read -r P_JWKS P_GRPC P_HTTP P_MET P_OPA P_OPAHTTP P_R1 P_R2 P_R3 P_NC P_NCHTTP <<<"$("$BIN/authzbench" freeports -n 11)"
start jwks "$BIN/authzbench" jwks -addr "127.0.0.1:$P_JWKS" -file "$WORK/jwks.json"
JWKS_URL="http://127.0.0.1:$P_JWKS/api/v1/auth/.well-known/jwks.json"
authz_args=(-jwks-url "$JWKS_URL" -redis-url "$REDIS_URL" -redis-prefix "$PREFIX" -log-level warn
  -allowed-origins https://app.eco2.example)

ghz_run() { # ghz_run LABEL ADDR OUT
  "$BIN/ghz" --insecure --protoset "$WORK/auth.protoset" --call envoy.service.auth.v3.Authorization/Check \
    -D "$WORK/ghz-data.json" -c "$CONCURRENCY" --connections "$CONNECTIONS" -z 3s -O json -o /dev/null "$2" >/dev/null # warm-up
  "$BIN/ghz" --insecure --protoset "$WORK/auth.protoset" --call envoy.service.auth.v3.Authorization/Check \
    -D "$WORK/ghz-data.json" -c "$CONCURRENCY" --connections "$CONNECTIONS" -z "$DURATION" -O json -o "$3" "$2"
}

log "(a) Check over gRPC: authz"
start authz "$BIN/authz" -grpc-addr "127.0.0.1:$P_GRPC" -http-addr "127.0.0.1:$P_HTTP" -metrics-addr "127.0.0.1:$P_MET" "${authz_args[@]}"
"$BIN/authzbench" waitready "127.0.0.1:$P_HTTP"
"$BIN/authzbench" metrics -addr "127.0.0.1:$P_MET" -out "$WORK/m0.json"
ghz_run authz "127.0.0.1:$P_GRPC" "$WORK/authz.json"
"$BIN/authzbench" metrics -addr "127.0.0.1:$P_MET" -out "$WORK/m1.json"
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true; unset 'PIDS[-1]'

if [[ "${NOCACHE_RUN:-0}" == 1 ]]; then
  log "(a') Check over gRPC: authz with the verified-token cache off (worst case: ECDSA on every check)"
  start authz-nocache "$BIN/authz" -grpc-addr "127.0.0.1:$P_NC" -http-addr "127.0.0.1:$P_NCHTTP" -metrics-addr "" -verify-cache-size 0 "${authz_args[@]}"
  "$BIN/authzbench" waitready "127.0.0.1:$P_NCHTTP"
  ghz_run nocache "127.0.0.1:$P_NC" "$WORK/nocache.json"
  kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true; unset 'PIDS[-1]'
fi

OPA_NOTE=""
if [[ "${SKIP_OPA:-0}" == 1 ]]; then
  OPA_NOTE="skipped (SKIP_OPA=1)"
else
  log "(a) Check over gRPC: OPA-Envoy plugin (same token mix, equivalent policy)"
  OPA_PKG="github.com/open-policy-agent/opa-envoy-plugin/cmd/opa-envoy-plugin@${OPA_ENVOY_VERSION:-latest}"
  if [[ -x "$BIN/opa-envoy-plugin" ]] || { echo "go install $OPA_PKG (one try, 15 min bound)";
       GOBIN="$BIN" timeout 900 go install "$OPA_PKG" >"$WORK/opa-build.log" 2>&1; }; then
    "$BIN/authzbench" opadata -jwks "$WORK/jwks.json" -revoked "$WORK/revoked.json" -out "$WORK/opa-data.json"
    sed -e "s/@GRPC_ADDR@/127.0.0.1:$P_OPA/" "$HERE/opa/config.yaml" >"$WORK/opa-config.yaml"
    start opa "$BIN/opa-envoy-plugin" run --server --addr "127.0.0.1:$P_OPAHTTP" --config-file "$WORK/opa-config.yaml" \
      "$HERE/opa/policy.rego" "$WORK/opa-data.json"
    for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$P_OPAHTTP/health?plugins" >/dev/null 2>&1 && break; sleep 0.2; done
    ghz_run opa "127.0.0.1:$P_OPA" "$WORK/opa.json"
    kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true; unset 'PIDS[-1]'
  else
    OPA_NOTE="not measured: 'go install $OPA_PKG' failed: $(grep -m1 -E 'go: |error|403|404' "$WORK/opa-build.log" | cut -c1-300)"
    echo "$OPA_NOTE"
  fi
fi

log "(b) revocation propagation: 3 replicas on the Redis source"
for p in "$P_R1" "$P_R2" "$P_R3"; do
  start "replica-$p" "$BIN/authz" -grpc-addr "" -http-addr "127.0.0.1:$p" -metrics-addr "" "${authz_args[@]}"
done
"$BIN/authzbench" waitready "127.0.0.1:$P_R1" "127.0.0.1:$P_R2" "127.0.0.1:$P_R3"
"$BIN/authzbench" propagate -redis "$REDIS_URL" -prefix "$PREFIX" -key "$WORK/key.pem" -n "$REVOCATIONS" \
  -replicas "127.0.0.1:$P_R1,127.0.0.1:$P_R2,127.0.0.1:$P_R3" | tee "$WORK/propagation.txt"

log "results ($(hostname), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "(a) Check over gRPC, ghz $GHZ_VERSION, -c $CONCURRENCY (concurrent streams) over $CONNECTIONS connections, $DURATION, mix 80/10/10:"
if [[ -f "$WORK/opa.json" ]]; then
  "$BIN/authzbench" report -ghz "$WORK/opa.json" -label OPA -save "$WORK/opa-summary.json"
fi
"$BIN/authzbench" report -ghz "$WORK/authz.json" -label authz -before "$WORK/m0.json" -after "$WORK/m1.json" \
  $([[ -f "$WORK/opa-summary.json" ]] && echo -against "$WORK/opa-summary.json")
[[ -f "$WORK/nocache.json" ]] && "$BIN/authzbench" report -ghz "$WORK/nocache.json" -label nocache
[[ -n "$OPA_NOTE" ]] && echo "OPA    $OPA_NOTE"
echo "(b)"
cat "$WORK/propagation.txt"
