#!/bin/sh
# Installs the Canh Gác agent from the offline bundle (no internet needed). Run as root from the
# unpacked bundle directory:
#   sudo ./install.sh                                   install or upgrade, keep an existing config
#   sudo ./install.sh --collector URL --code CODE [--ca FILE]
#                                                       ... and enrol with the one-time code
# Files: /opt/canhgac/ (program), /etc/canhgac/agent.yaml (config), /var/lib/canhgac/ (token,
# outbox), /etc/systemd/system/canhgac-agent.service. CANHGAC_ROOT=DIR installs under DIR without
# creating the user or touching systemd (used by the tests).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=${CANHGAC_ROOT:-}
collector=
code=
ca=
while [ $# -gt 0 ]; do
  case "$1" in
    --collector) collector=$2; shift 2 ;;
    --code) code=$2; shift 2 ;;
    --ca) ca=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [ -z "$root" ] && [ "$(id -u)" != 0 ]; then
  echo "install.sh: run as root (sudo ./install.sh)" >&2
  exit 2
fi

bin="$root/opt/canhgac"
etc="$root/etc/canhgac"
state="$root/var/lib/canhgac"
config="$etc/agent.yaml"

(cd "$here" && sha256sum --quiet -c SHA256SUMS) || { echo "install.sh: the bundle is damaged (SHA256SUMS)" >&2; exit 1; }

if [ -z "$root" ] && ! id canhgac >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/canhgac --no-create-home --shell /usr/sbin/nologin canhgac
fi

install -d -m 0755 "$bin"
# Replace the program atomically so a running agent is never half-written.
install -m 0755 "$here/canhgac-agent" "$bin/canhgac-agent.new" && mv -f "$bin/canhgac-agent.new" "$bin/canhgac-agent"
install -m 0644 "$here/oui.tsv.br" "$bin/oui.tsv.br"
# Run by the unit before each start: puts the previous executable back after a self-update that never starts.
install -m 0755 "$here/canhgac-agent-guard" "$bin/canhgac-agent-guard"
install -m 0644 "$here/huong-dan-cai-dat.md" "$bin/huong-dan-cai-dat.md"
install -d -m 0750 "$etc" "$state"

if [ ! -f "$config" ]; then
  install -m 0640 "$here/agent.yaml" "$config"
  echo "config written: $config (edit it, then: systemctl restart canhgac-agent)"
else
  echo "config kept: $config"
fi
if [ -n "$root" ]; then
  # Installed under a directory: the state the config names lives there too.
  sed -i "s|^  tokenFile: /var/lib/canhgac/|  tokenFile: $root/var/lib/canhgac/|" "$config"
fi
if [ -n "$collector" ]; then
  sed -i "s|^  url: .*|  url: $collector|" "$config"
fi
if [ -n "$ca" ]; then
  install -m 0644 "$ca" "$etc/collector-ca.pem"
  grep -q '^  ca: ' "$config" || sed -i "s|^  # ca: .*|  ca: /etc/canhgac/collector-ca.pem|" "$config"
fi
if [ -z "$root" ]; then
  chown root:canhgac "$etc" "$config"
  chown canhgac:canhgac "$state"
  # Signed self-update renames the executable in its directory (the files stay root's until replaced).
  chown canhgac:canhgac "$bin"
fi

"$bin/canhgac-agent" check-config --config "$config"

install -d -m 0755 "$root/etc/systemd/system"
install -m 0644 "$here/canhgac-agent.service" "$root/etc/systemd/system/canhgac-agent.service"

if [ -n "$code" ]; then
  if [ -z "$root" ]; then
    runuser -u canhgac -- "$bin/canhgac-agent" enroll --config "$config" --code "$code"
  else
    "$bin/canhgac-agent" enroll --config "$config" --code "$code"
  fi
fi

if [ -z "$root" ]; then
  systemctl daemon-reload
  systemctl enable canhgac-agent >/dev/null
  systemctl restart canhgac-agent
  echo "canhgac-agent installed and started: systemctl status canhgac-agent; journalctl -u canhgac-agent"
fi
