#!/bin/sh
# Runs once, when the postgres container initialises an empty data directory
# (/docker-entrypoint-initdb.d). Two roles, neither a superuser:
#   spreiding_owner  owns the database and its tables; only `migrate` logs in as it.
#   spreiding_app    the api and workers; `migrate` grants it what they need (src/db/grants.ts):
#                    no table of its own, no CREATE, no UPDATE/DELETE/TRUNCATE on the append-only
#                    tables, so the application cannot switch their triggers off.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_password="$SPREIDING_OWNER_PASSWORD" -v app_password="$SPREIDING_APP_PASSWORD" <<'SQL'
CREATE ROLE spreiding_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE spreiding_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
CREATE DATABASE spreiding OWNER spreiding_owner;
REVOKE ALL ON DATABASE spreiding FROM PUBLIC;
SQL
