#!/usr/bin/env bash
# Authz benchmarks, one command, loopback only, bounded in time, cleans up after itself:
#
#   bash tests/load/authz/run.sh [--quick]
#
# (a) Envoy ext_authz Check over gRPC with ghz at 2,500 concurrent streams, a pre-generated token
#     mix (80 % valid, 10 % expired, 10 % revoked) -> checks/s, p50/p99/p99.9, ratios against the
#     target (>= 15,000 checks/s, p99 < 10 ms) and against OPA with an equivalent ES256 JWT +
#     denylist policy in the same run: the OPA-Envoy plugin when it can be built here, else the
#     OPA engine in a stand-in ext_authz server (opa/standin, labelled OPA*; see README.md).
# (b) Revocation propagation: 3 authz replicas on the Redis source; N logouts written as
#     functions/auth writes them (MULTI: ZADD GT jti + sid, prune, PUBLISH each); time until every
#     replica denies -> p50/p99 (target < 1 s).
#
# Needs Redis at $ECO2_TEST_REDIS_URL (default redis://127.0.0.1:6379/0): `scripts/services up`.
# Knobs (env): DURATION (30s; --quick 8s), CONCURRENCY (2500), CONNECTIONS (10), TOKENS (2000),
# REVOCATIONS (1000; --quick 200), PIN=1 (authz on CPU 0, load generator on CPU 1), SKIP_OPA=1,
# OPA_ENVOY_VERSION (latest), NOCACHE_RUN=1 (also run the authz with its verified-token cache
# off: every check pays a full ECDSA verification).
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
# PIN=1: the authz on CPU 0, the load generator on CPU 1 (so neither steals from the other;
# the server figures are then one core's).
AUTHZ_CPU=(); LOAD_CPU=()
if [[ "${PIN:-0}" == 1 ]]; then AUTHZ_CPU=(taskset -c 0); LOAD_CPU=(taskset -c 1); fi
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
echo "run:    $([[ $QUICK == 1 ]] && echo quick || echo full)$([[ ${PIN:-0} == 1 ]] && echo ', authz pinned to CPU 0 and the load generator to CPU 1'), ghz -c $CONCURRENCY --connections $CONNECTIONS -z $DURATION, $TOKENS distinct tokens, $REVOCATIONS revocations"

log "build"
mkdir -p "$BIN"
t0=$SECONDS
(cd "$ROOT/authz" && go build -o "$BIN/authz" ./cmd/authz)
(cd "$HERE/authzbench" && go build -o "$BIN/authzbench" .)
if ! go version -m "$BIN/ghz" 2>/dev/null | grep -q "mod.*github.com/bojand/ghz.*$GHZ_VERSION"; then
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

CLK_TCK=$(getconf CLK_TCK)
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
secs() { awk -v t="$1" -v hz="$CLK_TCK" 'BEGIN {printf "%.2f", t/hz}'; }
ghz_base=("${LOAD_CPU[@]}" "$BIN/ghz" --insecure --protoset "$WORK/auth.protoset" --call envoy.service.auth.v3.Authorization/Check
  -D "$WORK/ghz-data.json" -c "$CONCURRENCY" --connections "$CONNECTIONS")

# measure NAME SERVER_PID LOADER ADDR [RATE]: one measured run (after an unmeasured warm-up)
# with ghz or the lean driver, closed loop or at RATE checks/s; keeps the report and the CPU
# seconds of the server and of the load generator over the interval its checks are counted in:
# ghz's warm-up is a separate run before the server's CPU is sampled (the measured ghz run
# counts every call it made); the lean driver warms up inside its run and counts only the
# window after it, so it samples both CPUs itself at the window's edges (-cpu-out).
measure() {
  local name=$1 pid=$2 loader=$3 addr=$4 rate=${5:-0} s0 s1
  local TIMEFORMAT='%3U %3S'
  if [[ $loader == ghz ]]; then
    local rflag=(); [[ $rate != 0 ]] && rflag=(-r "$rate")
    "${ghz_base[@]}" "${rflag[@]}" -z 3s -O json -o /dev/null "$addr" >/dev/null
    s0=$(ticks "$pid")
    { time "${ghz_base[@]}" "${rflag[@]}" -z "$DURATION" -O json -o "$WORK/$name.json" "$addr" >/dev/null; } 2>"$WORK/$name.time"
    s1=$(ticks "$pid")
    secs $((s1 - s0)) >"$WORK/$name.srvcpu"
    awk '{printf "%.2f", $1+$2}' "$WORK/$name.time" >"$WORK/$name.clicpu"
  else
    "${LOAD_CPU[@]}" "$BIN/authzbench" grpcload -addr "$addr" -data "$WORK/ghz-data.json" -c "$CONCURRENCY" -connections "$CONNECTIONS" \
      -d "$DURATION" -warmup 3s -rate "$rate" -o "$WORK/$name.json" \
      -server-pid "$pid" -clk-tck "$CLK_TCK" -cpu-out "$WORK/$name" >"$WORK/$name.out"
  fi
  echo "  $name done"
}

log "(a) Check over gRPC: authz"
start authz "${AUTHZ_CPU[@]}" "$BIN/authz" -grpc-addr "127.0.0.1:$P_GRPC" -http-addr "127.0.0.1:$P_HTTP" -metrics-addr "127.0.0.1:$P_MET" "${authz_args[@]}"
AUTHZ_PID=${PIDS[-1]}
"$BIN/authzbench" waitready "127.0.0.1:$P_HTTP"
"$BIN/authzbench" metrics -addr "127.0.0.1:$P_MET" -out "$WORK/m0.json"
measure ghz-target "$AUTHZ_PID" ghz "127.0.0.1:$P_GRPC" 15000
measure ghz-max "$AUTHZ_PID" ghz "127.0.0.1:$P_GRPC"
"$BIN/authzbench" metrics -addr "127.0.0.1:$P_MET" -out "$WORK/m1.json"
measure lean-target "$AUTHZ_PID" lean "127.0.0.1:$P_GRPC" 15000
measure lean-max "$AUTHZ_PID" lean "127.0.0.1:$P_GRPC"
kill "$AUTHZ_PID"; wait "$AUTHZ_PID" 2>/dev/null || true; unset 'PIDS[-1]'

if [[ "${NOCACHE_RUN:-0}" == 1 ]]; then
  log "(a') authz with the verified-token cache off (worst case: an ECDSA verification on every check)"
  start authz-nocache "${AUTHZ_CPU[@]}" "$BIN/authz" -grpc-addr "127.0.0.1:$P_NC" -http-addr "127.0.0.1:$P_NCHTTP" -metrics-addr "" -verify-cache-size 0 "${authz_args[@]}"
  "$BIN/authzbench" waitready "127.0.0.1:$P_NCHTTP"
  measure lean-max-nocache "${PIDS[-1]}" lean "127.0.0.1:$P_NC"
  kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true; unset 'PIDS[-1]'
fi

OPA_NOTE=""; OPA_LABEL=OPA
opa_runs() { # opa_runs PID ADDR
  measure opa-ghz-target "$1" ghz "$2" 15000
  measure opa-ghz-max "$1" ghz "$2"
  measure opa-lean-target "$1" lean "$2" 15000
  measure opa-lean-max "$1" lean "$2"
}
if [[ "${SKIP_OPA:-0}" == 1 ]]; then
  OPA_NOTE="skipped (SKIP_OPA=1)"
else
  log "(a) Check over gRPC: OPA-Envoy plugin (same token mix, equivalent policy)"
  "$BIN/authzbench" opadata -jwks "$WORK/jwks.json" -revoked "$WORK/revoked.json" -out "$WORK/opa-data.json"
  OPA_PKG="github.com/open-policy-agent/opa-envoy-plugin/cmd/opa-envoy-plugin@${OPA_ENVOY_VERSION:-latest}"
  if [[ -x "$BIN/opa-envoy-plugin" ]] || { echo "go install $OPA_PKG (one try, 15 min bound)";
       GOBIN="$BIN" timeout 900 go install "$OPA_PKG" >"$WORK/opa-build.log" 2>&1; }; then
    sed -e "s/@GRPC_ADDR@/127.0.0.1:$P_OPA/" "$HERE/opa/config.yaml" >"$WORK/opa-config.yaml"
    start opa "${AUTHZ_CPU[@]}" "$BIN/opa-envoy-plugin" run --server --addr "127.0.0.1:$P_OPAHTTP" \
      --config-file "$WORK/opa-config.yaml" "$HERE/opa/policy.rego" "$WORK/opa-data.json"
    for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$P_OPAHTTP/health?plugins" >/dev/null 2>&1 && break; sleep 0.2; done
  else
    why="$(grep -m1 -oE '(403|404|410) [A-Za-z]+' "$WORK/opa-build.log") $(grep -m1 -oE 'server response: .*' "$WORK/opa-build.log")"
    [[ -z "${why// /}" ]] && why="$(grep -m1 -E 'error|go: ' "$WORK/opa-build.log" | cut -c1-200)"
    OPA_NOTE="the OPA-Envoy plugin could not be built: 'go install $OPA_PKG' failed (Go module proxy: $why)"
    echo "$OPA_NOTE"
    echo "-> stand-in instead: the OPA engine (github.com/open-policy-agent/opa, what the plugin embeds) behind an"
    echo "   ext_authz gRPC server doing the plugin's per-check work (opa/standin), same policy and data"
    (cd "$HERE/opa/standin" && go build -o "$BIN/opastandin" .)
    start opa "${AUTHZ_CPU[@]}" "$BIN/opastandin" -addr "127.0.0.1:$P_OPA" -policy "$HERE/opa/policy.rego" -data "$WORK/opa-data.json"
    OPA_LABEL="OPA*"
    OPA_NOTE="$OPA_NOTE; OPA* = the stand-in (OPA $(cd "$HERE/opa/standin" && go list -m -f '{{.Version}}' github.com/open-policy-agent/opa) engine, not the plugin)"
    sleep 1
  fi
  opa_runs "${PIDS[-1]}" "127.0.0.1:$P_OPA"
  kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true; unset 'PIDS[-1]'
fi

log "(b) revocation propagation: 3 replicas on the Redis source"
for p in "$P_R1" "$P_R2" "$P_R3"; do
  start "replica-$p" "$BIN/authz" -grpc-addr "" -http-addr "127.0.0.1:$p" -metrics-addr "" "${authz_args[@]}"
done
"$BIN/authzbench" waitready "127.0.0.1:$P_R1" "127.0.0.1:$P_R2" "127.0.0.1:$P_R3"
"$BIN/authzbench" propagate -redis "$REDIS_URL" -prefix "$PREFIX" -key "$WORK/key.pem" -n "$REVOCATIONS" \
  -replicas "127.0.0.1:$P_R1,127.0.0.1:$P_R2,127.0.0.1:$P_R3" | tee "$WORK/propagation.txt"

log "results ($(hostname), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
rep() { # rep NAME LABEL [extra report flags]
  local n=$1 l=$2; shift 2
  [[ -f "$WORK/$n.json" ]] || return 0
  "$BIN/authzbench" report -ghz "$WORK/$n.json" -label "${l/-max/ max}" -server-cpu "$(cat "$WORK/$n.srvcpu")" \
    -client-cpu "$(cat "$WORK/$n.clicpu")" -save "$WORK/$n.summary" "$@"
}
echo "(a) Check over gRPC, $CONCURRENCY concurrent streams over $CONNECTIONS connections, $DURATION each, token mix 80/10/10"
echo "    'target' = load offered at 15,000 checks/s; 'max' = closed loop (every stream calls again at once:"
echo "    throughput at saturation, and latency = $CONCURRENCY / throughput by Little's law)."
echo "    ghz $GHZ_VERSION (the reference tool; it times from the actual send) and authzbench grpcload (lean"
echo "    driver: pre-encoded requests, open loop timed from the schedule, so queueing counts)."
for run in ghz-target ghz-max lean-target lean-max; do
  rep "opa-$run" "$OPA_LABEL ${run/-target/ @15k}" -brief
done
for run in ghz-target ghz-max lean-target lean-max; do
  against=(); [[ -f "$WORK/opa-$run.summary" ]] && against=(-against "$WORK/opa-$run.summary")
  mix=(); [[ $run == ghz-target ]] && mix=(-before "$WORK/m0.json" -after "$WORK/m1.json")
  rep "$run" "authz ${run/-target/ @15k}" "${mix[@]}" "${against[@]}"
done
rep lean-max-nocache "authz lean max nocache" -brief
[[ -n "$OPA_NOTE" ]] && echo "OPA: $OPA_NOTE"
echo "(b)"
cat "$WORK/propagation.txt"
