#!/usr/bin/env bash
# Installs the Debian packages aclsh needs that this machine lacks, without
# starting any service (openssh-server would start an sshd on this machine's
# port 22; the tests start their own, inside namespaces). Needs root.
#   scripts/deps.sh demo   what make demo needs (nft, conntrack, ip)
#   scripts/deps.sh test   what the tests need too (sshd, ssh, man, setpriv, make, netmiko, ansible)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# nft, conntrack and sshd live in /usr/sbin, which a non-login root shell may lack.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
progs=(nft:nftables conntrack:conntrack ip:iproute2)
if [ "${1:-demo}" = test ]; then
  # sshd and ssh: the real-SSH tests run OpenSSH in namespaces.
  # man: TestManPageRenders renders doc/aclsh.8 with man -l.
  progs+=(make:make setpriv:util-linux sshd:openssh-server ssh:openssh-client man:man-db)
  # ansible-playbook: the real-client tests drive aclsh with Ansible's network_cli
  # (arista.eos, cisco.ios; Debian's ansible brings the collections).
  progs+=(ansible-playbook:ansible)
fi
need=()
for p in "${progs[@]}"; do
  command -v "${p%%:*}" >/dev/null 2>&1 || need+=("${p#*:}")
done
if [ "${1:-demo}" = test ]; then
  # python3-netmiko: the real-client tests drive aclsh with netmiko (Debian's
  # python3, not one a version manager put first on PATH).
  /usr/bin/python3 -c 'import netmiko' >/dev/null 2>&1 || need+=(python3-netmiko)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "aclsh needs these Debian packages: ${need[*]} (sudo apt-get install ${need[*]})" >&2
  exit 2
fi
echo "installing ${need[*]} (apt-get, no service started)" >&2
apt-get update -qq
rc=/usr/sbin/policy-rc.d
if [ ! -e "$rc" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$rc"
  chmod +x "$rc"
  trap 'rm -f "$rc"' EXIT
fi
apt-get install -y -qq "${need[@]}" >/dev/null
