#!/usr/bin/env bash
# Run by the postgres image's entrypoint when the data volume is first initialised: lets standbys
# (docker-compose.yml's `postgres-replica`) stream WAL with the same password authentication as
# other clients. wal_level=replica and max_wal_senders=10 are PostgreSQL 15's defaults.
set -euo pipefail
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
