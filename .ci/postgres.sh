#!/usr/bin/env bash
# A throwaway PostgreSQL server for the store tests (CI and local runs alike).
#   eval "$(bash .ci/postgres.sh start)"   installs PostgreSQL if needed (apt), starts a
#                                          server on a loopback port and prints the exports
#                                          MATCHKRACHT_TEST_PG_URL and MATCHKRACHT_TEST_PG_DIR
#   bash .ci/postgres.sh stop DIR          stops it and removes DIR
set -euo pipefail
cmd=${1:-start}
bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ "$cmd" = stop ]; then
    dir=$2
    su postgres -c "$(bin)/pg_ctl -D $dir/data stop -m fast" >/dev/null 2>&1 || true
    rm -rf "$dir"
    exit 0
fi
if [ -z "$(bin)" ]; then
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
BIN=$(bin)
PORT=${MATCHKRACHT_PG_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
cd /tmp  # the postgres user may not enter the caller's folder
DIR=$(mktemp -d /tmp/matchkracht-pg.XXXXXX)
chown postgres "$DIR"
su postgres -c "$BIN/initdb -D $DIR/data -A trust -U postgres" >/dev/null
su postgres -c "$BIN/pg_ctl -D $DIR/data -l $DIR/log -w start \
    -o '-p $PORT -k $DIR -c listen_addresses=127.0.0.1'" >/dev/null
su postgres -c "$BIN/createdb -h $DIR -p $PORT matchkracht_test"
echo "export MATCHKRACHT_TEST_PG_URL=postgresql+psycopg://postgres@127.0.0.1:$PORT/matchkracht_test"
echo "export MATCHKRACHT_TEST_PG_DIR=$DIR"
