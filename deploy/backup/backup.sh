#!/bin/sh
# Online backup of the Canh Gác data centre: the collector's SQLite state and the InfluxDB database.
# Usage: backup.sh DEST_DIR        -> DEST_DIR/canhgac-YYYYmmddTHHMMSSZ/{state.db,influxdb/,SHA256SUMS}
# Environment (defaults fit the systemd install of deploy/docs/operations.md):
#   CANHGAC_DATA_DIR       /var/lib/canhgac-collector   (the collector's dataDir)
#   CANHGAC_COLLECTOR_DIR  /opt/canhgac-collector       (for node + better-sqlite3)
#   INFLUX_RPC             127.0.0.1:8088               (influxd's backup/restore address)
#   INFLUX_DB              canhgac
# Neither the collector nor InfluxDB is stopped. Exit status is non-zero if any step fails.
set -eu

dest_root=${1:?usage: backup.sh DEST_DIR}
data_dir=${CANHGAC_DATA_DIR:-/var/lib/canhgac-collector}
rpc=${INFLUX_RPC:-127.0.0.1:8088}
db=${INFLUX_DB:-canhgac}
here=$(cd "$(dirname "$0")" && pwd)

dest="$dest_root/canhgac-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$dest"
umask 077

echo "SQLite state: $data_dir/state.db"
node "$here/sqlite-snapshot.mjs" "$data_dir/state.db" "$dest/state.db"

echo "InfluxDB database $db via $rpc"
influxd backup -portable -database "$db" -host "$rpc" "$dest/influxdb" >"$dest/influxd-backup.log" 2>&1 || {
  cat "$dest/influxd-backup.log" >&2
  exit 1
}

(cd "$dest" && find state.db influxdb -type f | sort | xargs sha256sum >SHA256SUMS)
echo "backup complete: $dest"
