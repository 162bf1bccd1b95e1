# Sourced by scripts/ci-e2e and scripts/measure-startup: a temporary directory, Xvfb, tauri-driver
# (WebKitWebDriver), and a cleanup that stops every process they started, each by its id (and the
# app instances left running on a data directory under the temporary directory).
# Needs: $tools (where tauri-driver is), bash arrays; sets: $work, $DISPLAY, $driver_port.

work="$(mktemp -d -t bangfu-e2e.XXXXXX)"
pids=()

# The ids of the app processes whose --data-dir lies in $work.
app_pids() {
  local p arg
  for p in /proc/[0-9]*; do
    while IFS= read -r -d '' arg; do
      if [[ "$arg" == "$work/data-"* ]]; then echo "${p#/proc/}"; break; fi
    done 2>/dev/null <"$p/cmdline" || true
  done
}

cleanup() {
  local status=$? pid child i
  for pid in $(app_pids); do kill -9 "$pid" 2>/dev/null || true; done
  # Newest first; tauri-driver's child (WebKitWebDriver) before it.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    for child in $(cat "/proc/${pids[i]}/task/"*/children 2>/dev/null); do
      kill "$child" 2>/dev/null || true
    done
    kill "${pids[i]}" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  if [ "${KEEP:-0}" = 1 ] || [ "$status" -ne 0 ]; then
    echo "== kept $work (logs: *.log, screenshots: screens/)"
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free TCP port on loopback.
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

start_xvfb() {
  exec 3>"$work/display"
  Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
  pids+=($!)
  exec 3>&-
  local _
  for _ in $(seq 50); do [ -s "$work/display" ] && break; sleep 0.1; done
  [ -s "$work/display" ] || { echo "Xvfb did not start" >&2; cat "$work/xvfb.log" >&2; exit 1; }
  export DISPLAY=":$(cat "$work/display")"
}

start_driver() {
  driver_port="$(free_port)"
  local native_port _
  native_port="$(free_port)"
  mkdir -p "$work/xdg"
  # Each run its own XDG_DATA_HOME: WebKit's own storage never leaks from one run into the next.
  XDG_DATA_HOME="$work/xdg" "$tools/bin/tauri-driver" --port "$driver_port" \
    --native-port "$native_port" --native-driver /usr/bin/WebKitWebDriver \
    >"$work/driver.log" 2>&1 &
  pids+=($!)
  # Ready when WebKitWebDriver answers its status.
  for _ in $(seq 100); do
    node -e "fetch('http://127.0.0.1:$native_port/status').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))" && return 0
    sleep 0.2
  done
  echo "tauri-driver did not start" >&2
  cat "$work/driver.log" >&2
  exit 1
}

e2e_npm_ci() {
  (
    cd e2e
    if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
      npm ci --no-audit --no-fund --loglevel=error
    fi
  )
}

ui_build() {
  (
    cd ui
    if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
      npm ci --no-audit --no-fund --loglevel=error
    fi
    npx vite build --logLevel warn
  )
}
