#!/usr/bin/env bash
# Installs the system tools nftpol's kernel tests, `nftpol demo` and the dataplane use (nft,
# ip, socat, conntrack, iperf3, sysctl (procps), libnftables1 for the agent's
# --nft-backend libnftables, iptables for iptables-nft: the kernel test
# that runs the agent beside flannel's FORWARD rules, and chromium for the
# browser test of policy-explain report) from Debian's packages, when they are missing
# and we are root. Without root it only says what is missing: the kernel
# tests then skip with that reason (outside CI) or fail loudly (in CI).
set -euo pipefail
need=()
command -v nft >/dev/null || need+=(nftables)
command -v ip >/dev/null || need+=(iproute2)
command -v socat >/dev/null || need+=(socat)
command -v conntrack >/dev/null || need+=(conntrack)
command -v iperf3 >/dev/null || need+=(iperf3)
command -v modprobe >/dev/null || need+=(kmod)
# The lab sets and reads each node netns' sysctls with sysctl (not in slim Debian images).
command -v sysctl >/dev/null || need+=(procps)
command -v iptables-nft >/dev/null || need+=(iptables)
# The browser test of policy-explain report's HTML page (test/cli/report-chromium.test.ts).
command -v chromium >/dev/null || need+=(chromium)
# The library the libnftables backend loads in-process (nftables depends on it, but say so).
# (The cache is read whole first: with pipefail, grep -q closing the pipe early would fail ldconfig.)
has_library() { local cache; cache=$(ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null || true); grep -q "$1" <<<"$cache"; }
has_library 'libnftables\.so\.1 ' || need+=(libnftables1)
if [ ${#need[@]} -eq 0 ]; then
  echo "system-deps: nft, ip, socat, conntrack, iperf3, iptables-nft, sysctl, libnftables1, chromium present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "system-deps: missing ${need[*]}; install them as root (apt-get install -y ${need[*]})" >&2
  exit 0
fi
echo "system-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}" >/dev/null
