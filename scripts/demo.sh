#!/usr/bin/env bash
# A throwaway lab for aclsh: a device namespace whose mgmt0 is management 0, a client
# namespace on that LAN with a few addresses, echo servers on the device. Runs the
# shell on the device and removes everything on exit. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "demo: needs root (it creates network namespaces): sudo make demo" >&2
  exit 2
fi
for c in ip nft; do
  command -v "$c" >/dev/null || { echo "demo: needs '$c' (apt-get install iproute2 nftables)" >&2; exit 2; }
done
# Names carry this script's pid: several labs (and the tests' own namespaces) can
# run side by side, and each removes only its own.
DEV=aclsh-demo-$$-dev CLI=aclsh-demo-$$-cli
# Leftovers of a demo that was killed (its pid is gone): their processes, then them.
for ns in $(ip netns list | awk '{print $1}'); do
  [[ $ns =~ ^aclsh-demo-([0-9]+)-(dev|cli)$ ]] || continue
  kill -0 "${BASH_REMATCH[1]}" 2>/dev/null && continue
  for p in $(ip netns pids "$ns"); do kill -KILL "$p" 2>/dev/null || true; done
  ip netns del "$ns" 2>/dev/null || true
done
STATE=$(mktemp -d /tmp/aclsh-demo.XXXXXX)
pids=()
made=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for ns in "${made[@]}"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$STATE"
}
trap cleanup EXIT
ip netns add "$DEV"
made+=("$DEV")
ip netns add "$CLI"
made+=("$CLI")
ip -n "$DEV" link add mgmt0 type veth peer name eth0 netns "$CLI"
ip -n "$DEV" addr add 10.24.12.129/24 dev mgmt0
ip -n "$DEV" addr add fd77::129/64 dev mgmt0 nodad
for a in 107 108 109 110; do ip -n "$CLI" addr add 10.24.12.$a/24 dev eth0; done
ip -n "$CLI" addr add fd77::107/64 dev eth0 nodad
for ns in "$DEV" "$CLI"; do ip -n "$ns" link set lo up; done
ip -n "$DEV" link set mgmt0 up
ip -n "$CLI" link set eth0 up

ip netns exec "$DEV" bin/aclsh-labd serve tcp:22 tcp:80 udp:53 &
pids+=($!)
# The daemon, as its unit runs it on a host; the shell below is its client (it
# would start one itself, and say so, if none ran).
ip netns exec "$DEV" bin/aclsh follow --state-dir "$STATE" --mgmt-if mgmt0 2>"$STATE/follow.log" &
pids+=($!)
for _ in $(seq 100); do
  ip netns exec "$DEV" cat /proc/net/unix | grep -q '@aclsh/daemon' && break
  sleep 0.05
done

if [ -t 0 ]; then
cat <<MSG
aclsh demo lab
  device  $DEV: mgmt0 10.24.12.129 fd77::129 (interface management 0);
          echo servers on tcp 22, tcp 80, udp 53
  client  $CLI: 10.24.12.107-110, fd77::107

Try seed 001 (SLX-OS connection limiting) here:
  conf t
  ip access-list extended check
  permit tcp host 10.24.12.107 host 10.24.12.129 eq 22 connlimit 3
  interface management 0
  ip access-group check in
  end
  show access-lists

Then from another terminal, open connections from the client; with the list
above bound, expect:
  sudo ip netns exec $CLI $PWD/bin/aclsh-labd connect -n 5 -src 10.24.12.107 -hold 30s 10.24.12.129:22
      3 of 5 admitted: connlimit 3 (the other 2 fall through to the implicit deny)
  sudo ip netns exec $CLI $PWD/bin/aclsh-labd connect -n 2 -src 10.24.12.108 10.24.12.129:22
      0 of 2: no line permits 10.24.12.108 (implicit deny)
  sudo ip netns exec $CLI $PWD/bin/aclsh-labd udp -n 3 -src 10.24.12.107 10.24.12.129:53
      0 of 3: the line permits tcp only; UDP from .107 reaches the implicit deny
and watch "show access-lists" count sessions and refusals. Type exit to leave;
the lab is removed.

MSG
fi
ip netns exec "$DEV" bin/aclsh --state-dir "$STATE" --mgmt-if mgmt0 --hostname device
