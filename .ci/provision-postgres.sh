#!/usr/bin/env bash
# PostgreSQL 15 + pgvector on Debian 12 without Docker. Debian 12 has no pgvector package, so we build Debian's
# own pgvector source package from trixie. The mirror is read from the machine's apt configuration: no host
# name is hard-coded here. Prints the connection URL on the last line.
set -euo pipefail

PORT="${PG_PORT:-5433}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

if ! command -v /usr/lib/postgresql/15/bin/pg_config >/dev/null 2>&1 || ! dpkg -s postgresql-server-dev-15 >/dev/null 2>&1; then
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq postgresql postgresql-contrib postgresql-server-dev-15 make gcc >&2
fi
PG_BIN=/usr/lib/postgresql/15/bin

if [ ! -f "/usr/share/postgresql/15/extension/vector.control" ]; then
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list)
  aptdir=$(mktemp -d)
  mkdir -p "$aptdir/lists/partial" "$aptdir/parts"
  echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" > "$aptdir/sources.list"
  aptopts=(-o "Dir::Etc::SourceList=$aptdir/sources.list" -o "Dir::Etc::SourceParts=$aptdir/parts" -o "Dir::State::Lists=$aptdir/lists")
  $SUDO apt-get "${aptopts[@]}" update -qq >&2
  build=$(mktemp -d)
  chmod 777 "$build" "$aptdir" "$aptdir/lists"
  (cd "$build" && apt-get "${aptopts[@]}" source --download-only pgvector >&2)
  tar -xf "$build"/pgvector_*.orig.tar.* -C "$build"
  src=$(find "$build" -maxdepth 1 -mindepth 1 -type d | head -n 1)
  make -s -C "$src" PG_CONFIG="$PG_BIN/pg_config" OPTFLAGS="" >&2
  $SUDO make -s -C "$src" PG_CONFIG="$PG_BIN/pg_config" install >&2
fi

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "$1"; else sudo -u postgres sh -c "$1"; fi
}

DATA="${PG_DATA:-/tmp/ventros-ci-pg}"
if [ ! -f "$DATA/PG_VERSION" ]; then
  $SUDO mkdir -p "$DATA"
  $SUDO chown postgres:postgres "$DATA"
  as_postgres "$PG_BIN/initdb -D $DATA -U postgres --auth=trust -E UTF8" >&2
fi
if ! "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$PORT" >/dev/null 2>&1; then
  as_postgres "$PG_BIN/pg_ctl -D $DATA -l $DATA/server.log -w -o '-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200' start" >&2
fi
echo "postgres://postgres@127.0.0.1:$PORT/postgres"
