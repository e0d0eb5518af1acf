#!/bin/sh
# pg-2 in deploy/ha/compose.yaml: on its first start a copy of pg-1 made with pg_basebackup -R (the recipe's
# step 3), then PostgreSQL as the image starts it. Later starts find the data and skip the copy.
set -eu
PGDATA=${PGDATA:-/var/lib/postgresql/data}

# ~postgres/.pgpass, written at every start (the container's own files do not outlive it): replication
# either way round, since either node may be the primary.
pw=$(cat /run/secrets/pg_replicator_password)
printf '10.0.0.21:5432:*:replicator:%s\n10.0.0.22:5432:*:replicator:%s\n' "$pw" "$pw" >/var/lib/postgresql/.pgpass
chown postgres:postgres /var/lib/postgresql/.pgpass
chmod 600 /var/lib/postgresql/.pgpass

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  install -d -o postgres -g postgres -m 0700 "$PGDATA"
  tries=0
  until gosu postgres pg_isready -q -h 10.0.0.21 -p 5432; do
    tries=$((tries + 1))
    if [ "$tries" -gt 120 ]; then
      echo 'pg-2: pg-1 (10.0.0.21:5432) did not answer within 2 minutes' >&2
      exit 1
    fi
    sleep 1
  done
  # The data directory holds this image's postgresql.conf and pg_hba.conf: copied from pg-1 with the rest.
  gosu postgres pg_basebackup -h 10.0.0.21 -U replicator -D "$PGDATA" -R -X stream -c fast
fi
exec docker-entrypoint.sh "$@"
