#!/bin/sh
# A local PostgreSQL + PostGIS server for zoning's database tests and for trying `--db URL`.
#
#   scripts/postgis.sh start   install Debian's postgresql + postgis when missing (needs root),
#                              create the cluster in $ZONING_PGDATA (default .postgis/, ignored by
#                              git) on first use, start it on 127.0.0.1:$ZONING_PGPORT (55432)
#                              and print its connection URL on the last line
#   scripts/postgis.sh stop    stop it (the data stay)
#   scripts/postgis.sh url     print the URL of a running server
#
# The server listens on 127.0.0.1 only and asks for a password (scram-sha-256). The password is
# generated once, kept in .postgis/pgpass (mode 600, a libpq password file) and never printed:
# export PGPASSFILE=$PWD/.postgis/pgpass, as the tests do, and libpq finds it.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
base=${ZONING_PGDATA:-$root/.postgis}
data=$base/data
# PostgreSQL refuses to run as root, so as root the server runs as `postgres`; when that user
# cannot reach the repository (a checkout under /root), the cluster goes to /var/tmp instead
if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 && [ -d "$root" ] \
    && ! runuser -u postgres -- test -x "$root" 2>/dev/null; then
    data=/var/tmp/zoning-postgis-$(printf '%s' "$root" | md5sum | cut -c1-8)/data
fi
port=${ZONING_PGPORT:-55432}
user=zoning
db=zoning
url="postgresql://$user@127.0.0.1:$port/$db"

pg_bindir() {
    for d in /usr/lib/postgresql/*/bin; do
        if [ -x "$d/initdb" ]; then echo "$d"; fi
    done | sort -V | tail -n 1
}

have_postgis() {
    ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1
}

install_packages() {
    if [ -n "$(pg_bindir)" ] && have_postgis; then return 0; fi
    if [ "$(id -u)" != 0 ] || [ -n "${ZONING_POSTGIS_NO_INSTALL:-}" ]; then
        echo "postgis: PostgreSQL/PostGIS are not installed; installing them needs root and" \
            "the network: run \`make postgis\` as root (apt-get install postgresql postgresql-postgis)" >&2
        exit 3
    fi
    echo "postgis: installing Debian's postgresql and postgresql-postgis packages" >&2
    apt-get update -qq >/dev/null
    # postgresql-postgis is the extension for the default server (postgresql-15-postgis-3 on
    # Debian 12); the package "postgis" holds only the command-line tools and merely recommends
    # it, so without recommends it left the server with no extension and the tests skipped
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        postgresql postgresql-postgis >/dev/null
}

# run a server binary as the owner of the cluster (PostgreSQL refuses to run as root)
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

start() {
    install_packages
    bin=$(pg_bindir)
    mkdir -p "$base"
    chmod 755 "$base"
    if [ ! -f "$data/PG_VERSION" ]; then
        umask 077
        if [ ! -f "$base/password" ]; then
            od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$base/password"
        fi
        pwfile=$base/pwfile
        cp "$base/password" "$pwfile"
        if [ "$data" != "$base/data" ]; then
            mkdir -p "$(dirname "$data")" && chmod 755 "$(dirname "$data")"
        fi
        mkdir -p "$data"
        if [ "$(id -u)" = 0 ]; then chown postgres "$data" "$pwfile"; fi
        if [ "$data" != "$base/data" ]; then
            echo "postgis: the postgres user cannot reach $root; cluster in $data" >&2
            cp "$pwfile" "$(dirname "$data")/pwfile" && chown postgres "$(dirname "$data")/pwfile"
            pwfile=$(dirname "$data")/pwfile
        fi
        as_owner "$bin/initdb" -D "$data" -U "$user" --pwfile="$pwfile" \
            --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$base/initdb.log" 2>&1
        rm -f "$pwfile" "$base/pwfile"
        umask 022
    fi
    printf '127.0.0.1:%s:*:%s:%s\n' "$port" "$user" "$(cat "$base/password")" >"$base/pgpass"
    chmod 600 "$base/pgpass"
    if ! as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        as_owner "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=''" \
            start >/dev/null
    fi
    export PGPASSFILE="$base/pgpass"
    if ! "$bin/psql" -X -q -h 127.0.0.1 -p "$port" -U "$user" -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
        "$bin/psql" -X -q -h 127.0.0.1 -p "$port" -U "$user" -d postgres -c "CREATE DATABASE $db"
    fi
    PGOPTIONS="-c client_min_messages=warning" "$bin/psql" -X -q -h 127.0.0.1 -p "$port" \
        -U "$user" -d "$db" -c "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null
    echo "$url" >"$base/url"
    echo "$url"
}

stop() {
    bin=$(pg_bindir)
    if [ -n "$bin" ] && [ -f "$data/PG_VERSION" ] \
        && as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
        echo "postgis: stopped the server in $data"
    fi
    rm -f "$base/url"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    url) cat "$base/url" ;;
    *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
