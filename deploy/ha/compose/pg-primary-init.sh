#!/bin/sh
# pg-1 in deploy/ha/compose.yaml, first start only (docker-entrypoint-initdb.d): the recipe's step 1 and 2
# (deploy/ha/postgresql/README.md) in the image's layout, where the config files live in the data directory.
set -eu
# Where compose.yaml mounts them (test/deploy-ha.test.ts runs this script against a real cluster elsewhere).
secrets=${CANHGAC_SECRETS_DIR:-/run/secrets}
recipe=${CANHGAC_RECIPE_DIR:-/etc/canhgac-postgresql}

# The recipe's conf.d file, included (its listen_addresses is overridden on the command line).
printf "\ninclude '%s/canhgac-replication.conf'\n" "$recipe" >>"$PGDATA/postgresql.conf"

# Only the recipe's lines over the network, and the superuser on the container's own socket.
{
  echo 'local   all          postgres       peer'
  grep -v '^#' "$recipe/pg_hba.conf"
} >"$PGDATA/pg_hba.conf.new"
mv "$PGDATA/pg_hba.conf.new" "$PGDATA/pg_hba.conf"

# Passwords are bound as psql variables (:'name'), never pasted into the SQL text.
psql -v ON_ERROR_STOP=1 --username postgres --dbname postgres \
  -v replicator="$(cat "$secrets/pg_replicator_password")" \
  -v canhgac="$(cat "$secrets/state_password")" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'replicator';
CREATE ROLE canhgac WITH LOGIN PASSWORD :'canhgac';
CREATE ROLE haproxy_check WITH LOGIN;
CREATE DATABASE canhgac OWNER canhgac;
REVOKE CONNECT ON DATABASE canhgac FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pg_catalog.pg_ls_dir(text, boolean, boolean) TO replicator;
GRANT EXECUTE ON FUNCTION pg_catalog.pg_stat_file(text, boolean) TO replicator;
GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_binary_file(text) TO replicator;
GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean) TO replicator;
SQL
