# shellcheck shell=bash
# Sourced by scripts/demo.sh and scripts/bench.sh: the local mock gateway both run against.
# Everything listens on 127.0.0.1. Needs the venv python and litellm from scripts/deps.sh.
#
#   free_port PYTHON                 a free TCP port on 127.0.0.1
#   http_ok PYTHON URL               GET URL answers 200 within 2 s
#   litellm_start LITELLM PYTHON DIR MASTER_KEY ANSWER TIMEOUT_S
#       starts LiteLLM with one mock model (`claude-sonnet-5-5` answering ANSWER) and a master
#       key, no database, config and log in DIR; waits until it is alive. Sets LITELLM_PID and
#       LITELLM_BASE. Returns 1 (with the log's tail on stderr) if it exits or does not answer.

free_port() {
    "$1" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

http_ok() {
    "$1" -c 'import sys, urllib.request; sys.exit(urllib.request.urlopen(sys.argv[1], timeout=2).status != 200)' \
        "$2" 2>/dev/null
}

litellm_start() {
    local litellm=$1 python=$2 dir=$3 master_key=$4 answer=$5 timeout_s=$6 port deadline
    port=$(free_port "$python")
    (
        umask 077 # the master key is in it
        cat >"$dir/litellm.yaml" <<YAML
model_list:
  - model_name: claude-sonnet-5-5
    litellm_params:
      model: anthropic/claude-sonnet-5-5
      api_key: sk-ant-not-used
      mock_response: "$answer"
general_settings:
  master_key: $master_key
YAML
    )
    # LITELLM_LOCAL_MODEL_COST_MAP: no price-list download from the internet at start-up.
    (cd "$dir" && LITELLM_LOCAL_MODEL_COST_MAP=True exec "$litellm" --config "$dir/litellm.yaml" \
        --host 127.0.0.1 --port "$port") >"$dir/litellm.log" 2>&1 &
    LITELLM_PID=$!
    LITELLM_BASE=http://127.0.0.1:$port
    deadline=$((SECONDS + timeout_s))
    until http_ok "$python" "$LITELLM_BASE/health/liveliness"; do
        if ! kill -0 "$LITELLM_PID" 2>/dev/null; then
            tail -n 40 "$dir/litellm.log" >&2
            echo "LiteLLM exited" >&2
            return 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            tail -n 40 "$dir/litellm.log" >&2
            echo "LiteLLM did not start within ${timeout_s}s" >&2
            return 1
        fi
        sleep 0.5
    done
}
