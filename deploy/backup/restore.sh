#!/bin/sh
# Restore a backup made by backup.sh.
# Usage: restore.sh BACKUP_DIR      (BACKUP_DIR = .../canhgac-YYYYmmddTHHMMSSZ)
# Stop the collector first (systemctl stop canhgac-collector): its state file is replaced.
# InfluxDB must be running and must not have the database yet (a new server, or drop it first);
# set INFLUX_RESTORE_DB to restore under another name next to the live one instead.
# Environment: CANHGAC_DATA_DIR, INFLUX_RPC, INFLUX_DB as in backup.sh; INFLUX_RESTORE_DB.
set -eu

src=${1:?usage: restore.sh BACKUP_DIR}
data_dir=${CANHGAC_DATA_DIR:-/var/lib/canhgac-collector}
rpc=${INFLUX_RPC:-127.0.0.1:8088}
db=${INFLUX_DB:-canhgac}
newdb=${INFLUX_RESTORE_DB:-$db}

if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet canhgac-collector 2>/dev/null; then
  echo "canhgac-collector is running: stop it first (systemctl stop canhgac-collector)" >&2
  exit 2
fi

echo "checking $src/SHA256SUMS"
(cd "$src" && sha256sum --quiet -c SHA256SUMS)

mkdir -p "$data_dir"
if [ -f "$data_dir/state.db" ]; then
  keep="$data_dir/state.db.before-restore-$(date -u +%Y%m%dT%H%M%SZ)"
  mv "$data_dir/state.db" "$keep"
  rm -f "$data_dir/state.db-wal" "$data_dir/state.db-shm"
  echo "previous state kept as $keep"
fi
cp "$src/state.db" "$data_dir/state.db.restoring"
mv "$data_dir/state.db.restoring" "$data_dir/state.db"
echo "SQLite state restored to $data_dir/state.db"

influxd restore -portable -db "$db" -newdb "$newdb" -host "$rpc" "$src/influxdb"
echo "InfluxDB database $db restored as $newdb (influxd opens its shards within a few seconds; queries before that answer \"engine is closed\")"
