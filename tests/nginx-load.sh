#!/bin/sh
# tests/nginx-load.sh - nginx serving files with sendfile(2) under load, for
# tests/suites/verify-load.sh (this host) and tests/vm/guest-verify.sh (busybox sh):
#
#   nginx-load.sh DIR OTHER_DIR SECONDS CLIENTS
#
# Makes five files of random bytes (2,000 B to 3 MiB and a partial page),
# three in DIR/www and two in OTHER_DIR (a second file system, served through
# symbolic links in DIR/www); starts nginx ($NGINX_BIN, default nginx) on
# 127.0.0.1:$NGINX_PORT (18080) with `sendfile on` and nothing that would
# make it copy (no gzip, no TLS, no access log), its prefix DIR/nginx; runs
# tests/http_load ($HTTP_LOAD, default tests/build/http_load) with CLIENTS
# keep-alive clients for SECONDS, every body compared with its file; stops
# nginx. Prints http_load's line; exit status http_load's, 2 when nginx does
# not start (its error log on stderr). The workers run as root: nginx serves
# what the test made, wherever mktemp put it.
set -u
[ $# = 4 ] || { echo "usage: nginx-load.sh DIR OTHER_DIR SECONDS CLIENTS" >&2; exit 2; }
dir=$1 other=$2 seconds=$3 clients=$4
NGINX_BIN=${NGINX_BIN:-nginx}
NGINX_PORT=${NGINX_PORT:-18080}
HTTP_LOAD=${HTTP_LOAD:-tests/build/http_load}
mkdir -p "$dir/www" "$dir/nginx/tmp" "$other" || exit 2
set --	# the files served, as http_load takes them
for f in small:2000 page:4096 large:3145728; do
	head -c "${f#*:}" /dev/urandom >"$dir/www/${f%%:*}" || exit 2
	set -- "$@" "$dir/www/${f%%:*}"
done
for f in other-mid:65543 other-large:1048576; do
	head -c "${f#*:}" /dev/urandom >"$other/${f%%:*}" || exit 2
	ln -sf "$other/${f%%:*}" "$dir/www/${f%%:*}"
	set -- "$@" "$dir/www/${f%%:*}"
done
cat >"$dir/nginx/nginx.conf" <<EOF
daemon off;
user root root;
worker_processes 2;
pid nginx.pid;
error_log error.log;
events { worker_connections 256; }
http {
	sendfile on;
	tcp_nopush on;
	access_log off;
	default_type application/octet-stream;
	client_body_temp_path tmp/body;
	proxy_temp_path tmp/proxy;
	fastcgi_temp_path tmp/fastcgi;
	uwsgi_temp_path tmp/uwsgi;
	scgi_temp_path tmp/scgi;
	server {
		listen 127.0.0.1:$NGINX_PORT;
		root $dir/www;
	}
}
EOF
"$NGINX_BIN" -p "$dir/nginx/" -c nginx.conf -e error.log &
npid=$!
i=0
while [ ! -s "$dir/nginx/nginx.pid" ]; do
	if ! kill -0 "$npid" 2>/dev/null || [ $i -ge 300 ]; then
		echo "nginx-load: nginx did not start:" >&2
		cat "$dir/nginx/error.log" >&2
		kill "$npid" 2>/dev/null
		exit 2
	fi
	sleep 0.1
	i=$((i + 1))
done
"$HTTP_LOAD" "$NGINX_PORT" "$seconds" "$clients" "$@"
rc=$?
kill "$npid"
wait "$npid"
exit "$rc"
