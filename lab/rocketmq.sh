#!/usr/bin/env bash
# A real Apache RocketMQ name server + broker on loopback, for the hoptrace lab.
#
#   lab/rocketmq.sh fetch              download rocketmq-namesrv + rocketmq-broker ($ROCKETMQ_VERSION, default 5.3.3)
#                                      with all dependencies into .cache/rocketmq/<version>/lib (idempotent)
#   lab/rocketmq.sh start DIR          start a name server and a broker, store and logs under DIR; wait until the
#                                      broker is registered (polls the route of the trace topic); writes DIR/lab.env
#   lab/rocketmq.sh stop DIR           SIGKILL both JVMs (by PID) and wait for them
#   lab/rocketmq.sh kill-broker DIR    SIGKILL the broker only (a crash: the page cache survives)
#   lab/rocketmq.sh start-broker DIR   start the broker again on the same store and ports; wait for the route
#   lab/rocketmq.sh wait-route DIR     wait until the broker is registered again
#
# Environment: ROCKETMQ_VERSION, NAMESRV_PORT / BROKER_PORT (default: free ports), LAB_WAIT_SECONDS (default 60),
# LAB_MAX_DISK_PCT (default 85), HOPTRACE_CACHE (default <repo>/.cache).
# Everything listens on 127.0.0.1 only. DIR/lab.env holds NAMESRV_ADDR, BROKER_ADDR, BROKER_NAME, PIDs and paths.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VERSION=${ROCKETMQ_VERSION:-5.3.3}
CACHE=${HOPTRACE_CACHE:-$ROOT/.cache}/rocketmq/$VERSION
LIB=$CACHE/lib
MARKER=$LIB/.complete
WAIT=${LAB_WAIT_SECONDS:-60}
MAX_DISK_PCT=${LAB_MAX_DISK_PCT:-85}
BROKER_NAME=broker-a
CLUSTER=hoptrace-lab
TRACE_TOPIC=RMQ_SYS_TRACE_TOPIC

die() { echo "rocketmq.sh: $*" >&2; exit 1; }
log() { echo "rocketmq.sh: $*" >&2; }
now_ms() { date +%s%3N; }

# ---------------------------------------------------------------- fetch

fetch() {
  if [ -f "$MARKER" ]; then
    log "jars for RocketMQ $VERSION already in $LIB ($(cat "$MARKER"))"
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found: install Maven (and JDK 17) to fetch the RocketMQ jars"
  local t0 tmp
  t0=$(now_ms)
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  cat >"$tmp/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.hoptrace</groupId>
  <artifactId>rocketmq-lab-jars</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.rocketmq</groupId><artifactId>rocketmq-namesrv</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>org.apache.rocketmq</groupId><artifactId>rocketmq-broker</artifactId><version>$VERSION</version></dependency>
  </dependencies>
</project>
EOF
  log "fetching rocketmq-namesrv + rocketmq-broker $VERSION with dependencies from Maven Central ..."
  rm -rf "$LIB.partial"
  mkdir -p "$LIB.partial"
  if ! (cd "$tmp" && mvn -q -B -f pom.xml dependency:copy-dependencies \
          -DincludeScope=runtime -DoutputDirectory="$LIB.partial" >"$tmp/mvn.log" 2>&1); then
    tail -n 30 "$tmp/mvn.log" >&2
    die "maven could not resolve RocketMQ $VERSION (5.3.3 and 5.5.0 are known to resolve; 5.3.4 and 5.5.1 do not)"
  fi
  ls "$LIB.partial"/rocketmq-broker-"$VERSION".jar "$LIB.partial"/rocketmq-namesrv-"$VERSION".jar >/dev/null \
    || die "maven finished but the broker or name server jar is missing in $LIB.partial"
  # The name server needs its own logback config, or it picks up the broker's (see DESIGN.md).
  (cd "$LIB.partial" && unzip -p rocketmq-namesrv-"$VERSION".jar rmq.namesrv.logback.xml >../rmq.namesrv.logback.xml) \
    || die "rmq.namesrv.logback.xml not found in rocketmq-namesrv-$VERSION.jar"
  rm -rf "$LIB"
  mv "$LIB.partial" "$LIB"
  local n size
  n=$(ls "$LIB"/*.jar | wc -l)
  size=$(du -sh "$LIB" | cut -f1)
  echo "$n jars, $size, fetched $(date -u +%FT%TZ) in $(( $(now_ms) - t0 )) ms" >"$MARKER"
  log "fetched $n jars ($size) into $LIB in $(( $(now_ms) - t0 )) ms"
}

# ---------------------------------------------------------------- helpers

need_jars() {
  command -v java >/dev/null || die "java not found: install JDK 17"
  [ -f "$MARKER" ] || die "RocketMQ $VERSION jars missing: run 'lab/rocketmq.sh fetch' first"
}

check_disk() {
  local dir=$1 pct
  pct=$(df -P "$dir" | awk 'NR==2 {gsub("%","",$5); print $5}')
  if [ -n "$pct" ] && [ "$pct" -gt "$MAX_DISK_PCT" ]; then
    die "the disk holding $dir is ${pct}% full (limit ${MAX_DISK_PCT}%): the broker refuses writes when it is \
nearly full (90%), so the lab would see send failures that are not the scenario's. Free some space or point DIR elsewhere."
  fi
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port_block N: a port p such that p-2 .. p+N-1 are all free (the broker also uses listenPort-2 as its
# "fast" port and listenPort+1 for HA).
free_port_block() {
  local n=$1 p i ok
  for _ in $(seq 1 200); do
    p=$(( 20000 + RANDOM % 30000 ))
    ok=1
    for i in $(seq -2 $((n - 1))); do
      port_free $((p + i)) || { ok=0; break; }
    done
    [ $ok = 1 ] && { echo "$p"; return 0; }
  done
  die "no free port found on 127.0.0.1"
}

be32() { # big-endian int32 as printf escapes
  printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(( ($1 >> 24) & 255 )) $(( ($1 >> 16) & 255 )) $(( ($1 >> 8) & 255 )) $(( $1 & 255 ))
}

# route_ok ADDR TOPIC: 0 when the name server at ADDR knows a route for TOPIC (GET_ROUTEINFO_BY_TOPIC, code 105,
# answers code 0). One remoting request over bash's /dev/tcp; see ingest/rocketmq for the frame format.
route_ok() {
  local host=${1%:*} port=${1##*:} topic=$2
  local hdr="{\"code\":105,\"extFields\":{\"topic\":\"$topic\"},\"flag\":0,\"language\":\"GO\",\"opaque\":1,\"serializeTypeCurrentRPC\":\"JSON\",\"version\":317}"
  local hl=${#hdr}
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "$2$3%s" "$4" >&3
    lens=$(dd bs=1 count=8 <&3 2>/dev/null | od -An -tu1)
    set -- $lens
    [ $# -eq 8 ] || exit 1
    hl=$(( ($6 << 16) | ($7 << 8) | $8 ))
    resp=$(dd bs=1 count=$hl <&3 2>/dev/null)
    case "$resp" in *"\"code\":0,"*|*"\"code\":0}"*) exit 0;; esac
    exit 1' "$host" "$port" "$(be32 $((4 + hl)))" "$(be32 "$hl")" "$hdr" 2>/dev/null
}

load_env() {
  local dir=$1
  [ -f "$dir/lab.env" ] || die "$dir/lab.env not found: was the lab started with 'lab/rocketmq.sh start $dir'?"
  # shellcheck disable=SC1091
  . "$dir/lab.env"
}

wait_route() {
  local dir=$1 t0 deadline
  load_env "$dir"
  t0=$(now_ms)
  deadline=$(( t0 + WAIT * 1000 ))
  while ! route_ok "$NAMESRV_ADDR" "$TRACE_TOPIC"; do
    if ! alive "$BROKER_PID"; then
      die "the broker (pid $BROKER_PID) exited before it registered: see $dir/broker.out and $dir/home-broker/logs/rocketmqlogs/broker.log"
    fi
    if ! alive "$NAMESRV_PID"; then
      die "the name server (pid $NAMESRV_PID) exited: see $dir/namesrv.out and $dir/home-namesrv/logs/rocketmqlogs/namesrv.log"
    fi
    if [ "$(now_ms)" -gt "$deadline" ]; then
      die "the broker did not register with the name server $NAMESRV_ADDR within ${WAIT}s: see $dir/broker.out, \
$dir/home-broker/logs/rocketmqlogs/broker.log and $dir/namesrv.out"
    fi
    sleep 0.2
  done
  log "route of $TRACE_TOPIC on $NAMESRV_ADDR after $(( $(now_ms) - t0 )) ms"
}

# wait_namesrv DIR PORT: the broker registers once at start and then only every 30 s (first retry after 10 s),
# so start it only once the name server accepts connections.
wait_namesrv() {
  local dir=$1 port=$2 t0
  t0=$(now_ms)
  load_env "$dir"
  while port_free "$port"; do
    alive "$NAMESRV_PID" \
      || die "the name server exited during start: see $dir/namesrv.out and $dir/home-namesrv/logs/rocketmqlogs/namesrv.log"
    [ "$(now_ms)" -lt $(( t0 + WAIT * 1000 )) ] \
      || die "the name server did not listen on 127.0.0.1:$port within ${WAIT}s: see $dir/namesrv.out"
    sleep 0.1
  done
  log "name server listening after $(( $(now_ms) - t0 )) ms"
}

java_opts() { # heap, user.home
  echo "-server -Xms$1 -Xmx$1 -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -Duser.home=$2 -Drocketmq.home.dir=$2"
}

start_namesrv() {
  local dir=$1
  mkdir -p "$dir/home-namesrv"
  # shellcheck disable=SC2046
  ROCKETMQ_HOME="$dir/home-namesrv" setsid java $(java_opts 256m "$dir/home-namesrv") \
    -Drmq.logback.configurationFile="$CACHE/rmq.namesrv.logback.xml" \
    -cp "$LIB/*" org.apache.rocketmq.namesrv.NamesrvStartup -c "$dir/namesrv.conf" \
    </dev/null >"$dir/namesrv.out" 2>&1 &
  echo $!
}

start_broker_jvm() {
  local dir=$1
  mkdir -p "$dir/home-broker"
  # shellcheck disable=SC2046
  ROCKETMQ_HOME="$dir/home-broker" setsid java $(java_opts 512m "$dir/home-broker") \
    -cp "$LIB/*" org.apache.rocketmq.broker.BrokerStartup -c "$dir/broker.conf" \
    </dev/null >>"$dir/broker.out" 2>&1 &
  echo $!
}

set_env() { # key value: rewrite one line of DIR/lab.env
  local dir=$1 k=$2 v=$3
  grep -v "^$k=" "$dir/lab.env" >"$dir/lab.env.tmp" || true
  echo "$k=$v" >>"$dir/lab.env.tmp"
  mv "$dir/lab.env.tmp" "$dir/lab.env"
}

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

kill_pid() { # SIGKILL and wait until it is gone
  local pid=$1 i
  [ -n "$pid" ] || return 0
  kill -KILL "$pid" 2>/dev/null || return 0
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.05
  done
  log "pid $pid still alive after SIGKILL"
}

# ---------------------------------------------------------------- commands

start() {
  local dir=$1 t0 np bp
  need_jars
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  check_disk "$dir"
  if [ -f "$dir/lab.env" ]; then
    load_env "$dir"
    ! alive "${BROKER_PID:-}" || die "a lab is already running in $dir (broker pid $BROKER_PID)"
    ! alive "${NAMESRV_PID:-}" || die "a lab is already running in $dir (name server pid $NAMESRV_PID)"
  fi
  t0=$(now_ms)
  np=${NAMESRV_PORT:-$(free_port_block 1)}
  bp=${BROKER_PORT:-$(free_port_block 2)}
  [ "$np" != "$bp" ] || bp=$(free_port_block 2)
  mkdir -p "$dir/store/commitlog"
  cat >"$dir/namesrv.conf" <<EOF
listenPort=$np
bindAddress=127.0.0.1
scanAvailableNameSrv=false
EOF
  cat >"$dir/broker.conf" <<EOF
brokerClusterName=$CLUSTER
brokerName=$BROKER_NAME
brokerId=0
brokerRole=ASYNC_MASTER
flushDiskType=ASYNC_FLUSH
brokerIP1=127.0.0.1
brokerIP2=127.0.0.1
listenPort=$bp
bindAddress=127.0.0.1
namesrvAddr=127.0.0.1:$np
storePathRootDir=$dir/store
storePathCommitLog=$dir/store/commitlog
traceTopicEnable=true
msgTraceTopicName=$TRACE_TOPIC
autoCreateTopicEnable=true
autoCreateSubscriptionGroup=true
mappedFileSizeCommitLog=67108864
mappedFileSizeConsumeQueue=60000
diskMaxUsedSpaceRatio=95
EOF
  cat >"$dir/lab.env" <<EOF
NAMESRV_ADDR=127.0.0.1:$np
BROKER_ADDR=127.0.0.1:$bp
BROKER_NAME=$BROKER_NAME
CLUSTER=$CLUSTER
STORE_DIR=$dir/store
COMMITLOG_DIR=$dir/store/commitlog
EOF
  set_env "$dir" NAMESRV_PID "$(start_namesrv "$dir")"
  # Whatever goes wrong from here on, do not leave JVMs behind.
  trap 'stop "$dir"' EXIT
  wait_namesrv "$dir" "$np"
  set_env "$dir" BROKER_PID "$(start_broker_jvm "$dir")"
  wait_route "$dir"
  trap - EXIT
  log "lab up in $(( $(now_ms) - t0 )) ms: name server 127.0.0.1:$np, broker 127.0.0.1:$bp, store $dir/store"
}

stop() {
  local dir=$1
  [ -f "$dir/lab.env" ] || return 0
  load_env "$dir"
  kill_pid "${BROKER_PID:-}"
  kill_pid "${NAMESRV_PID:-}"
  set_env "$dir" BROKER_PID ""
  set_env "$dir" NAMESRV_PID ""
  log "stopped the lab in $dir"
}

kill_broker() {
  local dir=$1
  load_env "$dir"
  kill_pid "${BROKER_PID:-}"
  set_env "$dir" BROKER_PID ""
  log "broker killed (SIGKILL)"
}

start_broker() {
  local dir=$1 t0
  need_jars
  load_env "$dir"
  ! alive "${BROKER_PID:-}" || die "the broker is still running (pid $BROKER_PID)"
  t0=$(now_ms)
  set_env "$dir" BROKER_PID "$(start_broker_jvm "$dir")"
  wait_route "$dir"
  log "broker back in $(( $(now_ms) - t0 )) ms"
}

cmd=${1:-}
case "$cmd" in
  fetch) fetch ;;
  start|stop|kill-broker|start-broker|wait-route)
    [ $# -ge 2 ] || die "usage: $0 $cmd DIR"
    case "$cmd" in
      start) start "$2" ;;
      stop) stop "$2" ;;
      kill-broker) kill_broker "$2" ;;
      start-broker) start_broker "$2" ;;
      wait-route) wait_route "$2" ;;
    esac ;;
  *) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
